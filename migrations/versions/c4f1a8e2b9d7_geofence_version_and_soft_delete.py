"""geofence: a version for conditional edits and deleted_at for the soft delete

Revision ID: c4f1a8e2b9d7
Revises: e7b2d4a91c35
Create Date: 2026-12-02 04:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = 'c4f1a8e2b9d7'
down_revision = 'e7b2d4a91c35'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))
        batch_op.add_column(sa.Column('deleted_at', core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('fence', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('version')
