"""merchant: shop and campaign texts in English and Chinese (translations)

Revision ID: e7b2d4a91c35
Revises: 5e2b7c9d1a40
Create Date: 2026-12-01 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7b2d4a91c35'
down_revision = '5e2b7c9d1a40'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows get no translations: their text stays the primary one (merchant/texts.py).
    with op.batch_alter_table('merchant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), server_default='{}', nullable=False))
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), server_default='{}', nullable=False))


def downgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('translations')
    with op.batch_alter_table('merchant', schema=None) as batch_op:
        batch_op.drop_column('translations')
