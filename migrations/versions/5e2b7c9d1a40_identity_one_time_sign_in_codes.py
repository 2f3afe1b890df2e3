"""identity: one-time sign-in codes an admin gives in person

Revision ID: 5e2b7c9d1a40
Revises: cb41db6e4df1
Create Date: 2026-12-01 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = '5e2b7c9d1a40'
down_revision = 'cb41db6e4df1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_in_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('sign_in_code_expires_at', core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('sign_in_code_expires_at')
        batch_op.drop_column('sign_in_code_hash')
