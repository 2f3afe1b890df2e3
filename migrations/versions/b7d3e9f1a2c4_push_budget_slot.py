"""push decisions take the day's budget slot under a unique key

Revision ID: b7d3e9f1a2c4
Revises: acfb14550c5a
Create Date: 2026-12-02 07:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d3e9f1a2c4'
down_revision = 'acfb14550c5a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('push_decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('budget_slot', sa.SmallInteger(), nullable=True))
    # Sends decided before this revision keep a NULL slot and still count: the day's next send
    # takes the slot after them, and NULLs never collide.
    with op.batch_alter_table('push_decision', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_push_decision_budget_slot', ['user_id', 'local_day', 'budget_slot'])


def downgrade():
    with op.batch_alter_table('push_decision', schema=None) as batch_op:
        batch_op.drop_constraint('uq_push_decision_budget_slot', type_='unique')
        batch_op.drop_column('budget_slot')
