from . import controllers, demo, models, report, wizards
