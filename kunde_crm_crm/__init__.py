from . import demo, models, report, wizards
