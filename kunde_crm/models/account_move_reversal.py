from odoo import models


class AccountMoveReversal(models.TransientModel):
    _inherit = "account.move.reversal"

    def reverse_moves(self, is_modify=False):
        """Link the credit notes made from a case ("Create credit note") to it."""
        action = super().reverse_moves(is_modify=is_modify)
        case_id = self.env.context.get("kunde_case_id")
        if case_id and self.new_move_ids:
            case = self.env["kunde.case"].browse(case_id).exists()
            if case:
                case.write(
                    {"invoice_ids": [(4, move.id) for move in self.new_move_ids]}
                )
        return action
