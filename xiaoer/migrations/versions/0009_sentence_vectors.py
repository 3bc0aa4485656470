"""sentence vectors stored with their chunk

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-04 21:45:00

Other branches add 0006-0008; when they merge, down_revision moves to the last of them.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0007_widget_photos'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chunk_sentence_vectors',
    sa.Column('chunk_id', sa.Integer(), nullable=False),
    sa.Column('embedder', sa.String(length=64), nullable=False),
    sa.Column('merchant_id', sa.String(length=64), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('vectors', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['chunk_id'], ['chunks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('chunk_id', 'embedder')
    )


def downgrade() -> None:
    op.drop_table('chunk_sentence_vectors')
