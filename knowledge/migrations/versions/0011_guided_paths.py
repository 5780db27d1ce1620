"""guided paths: their shape, their reviewed words per language, people's progress

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS = sa.Enum('draft', 'reviewed', 'machine', name='status', native_enum=False, length=16)


def upgrade() -> None:
    op.create_table('guided_path',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=32), nullable=False),
    sa.Column('shape', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guided_path')),
    sa.UniqueConstraint('slug', name=op.f('uq_guided_path_slug'))
    )
    op.create_table('path_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path_id', sa.Integer(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('status', STATUS, nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewer', sa.String(length=120), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['path_id'], ['guided_path.id'], name=op.f('fk_path_text_path_id_guided_path'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_path_text')),
    sa.UniqueConstraint('path_id', 'lang', name=op.f('uq_path_text_path_id'))
    )
    op.create_index(op.f('ix_path_text_path_id'), 'path_text', ['path_id'], unique=False)
    op.create_table('path_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('text_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['text_id'], ['path_text.id'], name=op.f('fk_path_revision_text_id_path_text'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_path_revision'))
    )
    op.create_index(op.f('ix_path_revision_text_id'), 'path_revision', ['text_id'], unique=False)
    op.create_table('path_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_key', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=32), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('done', sa.JSON(), nullable=False),
    sa.Column('remind_chat', sa.BigInteger(), nullable=True),
    sa.Column('reminded', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_path_progress')),
    sa.UniqueConstraint('user_key', 'path', name=op.f('uq_path_progress_user_key'))
    )
    op.create_index(op.f('ix_path_progress_user_key'), 'path_progress', ['user_key'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_path_progress_user_key'), table_name='path_progress')
    op.drop_table('path_progress')
    op.drop_index(op.f('ix_path_revision_text_id'), table_name='path_revision')
    op.drop_table('path_revision')
    op.drop_index(op.f('ix_path_text_path_id'), table_name='path_text')
    op.drop_table('path_text')
    op.drop_table('guided_path')
