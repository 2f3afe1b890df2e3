"""till: wrong codes counted per coupon, and the lock they lead to

Revision ID: a3c1e9f04b21
Revises: 7d5fa98db2cd
Create Date: 2026-12-01 20:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = 'a3c1e9f04b21'
down_revision = '7d5fa98db2cd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wallet_coupon', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wrong_codes', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('codes_locked_until', core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('wallet_coupon', schema=None) as batch_op:
        batch_op.drop_column('codes_locked_until')
        batch_op.drop_column('wrong_codes')
