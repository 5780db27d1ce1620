"""urgent tickets, anonymous usage counts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('urgent', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table('usage_count',
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('week', 'event', name=op.f('pk_usage_count'))
    )


def downgrade() -> None:
    op.drop_table('usage_count')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('urgent')
