"""geofence: a per-fence secret for the screen's rotating proof-of-presence codes; airdrop_presence

Revision ID: b3e9f0c1d2a4
Revises: b7d3e9f1a2c4
Create Date: 2026-12-02 07:50:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = 'b3e9f0c1d2a4'
down_revision = 'b7d3e9f1a2c4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('presence_secret', sa.String(length=64), nullable=True))
    # Each existing fence its own random secret (never one shared value), then NOT NULL.
    fence = sa.table('fence', sa.column('id', sa.Integer), sa.column('presence_secret', sa.String))
    connection = op.get_bind()
    for (fence_id,) in connection.execute(sa.select(fence.c.id)).all():
        connection.execute(fence.update().where(fence.c.id == fence_id)
                           .values(presence_secret=secrets.token_hex(32)))
    with op.batch_alter_table('fence', schema=None) as batch_op:
        batch_op.alter_column('presence_secret', existing_type=sa.String(length=64), nullable=False)

    op.create_table('airdrop_presence',
        sa.Column('resident_id', sa.Integer(), nullable=False),
        sa.Column('fence_id', sa.Integer(), nullable=False),
        sa.Column('until', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['fence_id'], ['fence.id'], name=op.f('fk_airdrop_presence_fence_id_fence'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['resident_id'], ['user_account.id'],
                                name=op.f('fk_airdrop_presence_resident_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('resident_id', name=op.f('pk_airdrop_presence'))
    )
    with op.batch_alter_table('airdrop_presence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_airdrop_presence_until'), ['until'], unique=False)


def downgrade():
    with op.batch_alter_table('airdrop_presence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_airdrop_presence_until'))
    op.drop_table('airdrop_presence')
    with op.batch_alter_table('fence', schema=None) as batch_op:
        batch_op.drop_column('presence_secret')
