"""server-side workspace sessions; accounts that can be disabled

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('disabled', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table('web_session',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_web_session_practitioner_id_practitioner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_web_session'))
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_practitioner_id'), ['practitioner_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_practitioner_id'))
    op.drop_table('web_session')
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.drop_column('disabled')
