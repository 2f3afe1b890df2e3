"""services: covering index for the neighbourhood map, index on updated_at

Revision ID: c4e8a1f5b2d7
Revises: c4f1a8e2b9d7
Create Date: 2026-12-02 04:45:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4e8a1f5b2d7'
down_revision = 'c4f1a8e2b9d7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.create_index('ix_service_request_map',
                              ['lat', 'lon', 'status', 'closed_at', 'resolution', 'category_id', 'id'], unique=False)
        batch_op.create_index('ix_service_request_updated', ['updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_index('ix_service_request_updated')
        batch_op.drop_index('ix_service_request_map')
