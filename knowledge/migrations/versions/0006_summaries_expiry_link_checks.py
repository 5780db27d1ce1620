"""short answers, notes for officials, expiring facts, link checks

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('translation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('clerk_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('valid_until', sa.Date(), nullable=True))
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.add_column(sa.Column('homepage', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('valid_until', sa.Date(), nullable=True))
    op.create_table('link_check',
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('problem', sa.String(length=300), nullable=True),
    sa.Column('page_hash', sa.String(length=64), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('url', name=op.f('pk_link_check'))
    )


def downgrade() -> None:
    op.drop_table('link_check')
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.drop_column('valid_until')
        batch_op.drop_column('homepage')
    with op.batch_alter_table('translation', schema=None) as batch_op:
        batch_op.drop_column('valid_until')
        batch_op.drop_column('clerk_note')
        batch_op.drop_column('summary')
