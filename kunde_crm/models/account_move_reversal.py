from odoo import fields, models


class AccountMoveReversal(models.TransientModel):
    _inherit = "account.move.reversal"

    kunde_case_id = fields.Many2one(
        "kunde.case",
        string="Customer Service Case",
        readonly=True,
        help="The case the credit note is made from: it is linked to the case.",
    )

    def reverse_moves(self, is_modify=False):
        """Link the credit notes made from a case ("Create credit note") to it,
        as the user (who must be allowed to change the case)."""
        action = super().reverse_moves(is_modify=is_modify)
        if self.kunde_case_id and self.new_move_ids:
            self.kunde_case_id.write(
                {"invoice_ids": [(4, move.id) for move in self.new_move_ids]}
            )
        return action
