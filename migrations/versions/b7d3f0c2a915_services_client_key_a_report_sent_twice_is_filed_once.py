"""services: the client key, so that a report sent twice (the offline outbox) is filed once

Revision ID: b7d3f0c2a915
Revises: b3e9f0c1d2a4
Create Date: 2026-12-02 07:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d3f0c2a915'
down_revision = 'b3e9f0c1d2a4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_service_request_client_key'), ['client_key'])


def downgrade():
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_service_request_client_key'), type_='unique')
        batch_op.drop_column('client_key')
