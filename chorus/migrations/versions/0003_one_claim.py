"""One claim per content hash (issue #14): ``episodes.source_sha256`` becomes unique.

Two watchers or workers racing on the same recording then make one episode: the second insert fails
and its run finds the first one's episode. A catalog that already holds two episodes of the same bytes
(never made by Chorus, which resumes an episode instead of making another) is refused in one line naming
them, with nothing changed.

Revision ID: 0003_one_claim
Revises: 0002_privacy
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_one_claim'
down_revision = '0002_privacy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    twice = op.get_bind().execute(sa.text(
        "SELECT source_sha256, min(id), max(id) FROM episodes GROUP BY source_sha256 HAVING count(*) > 1")).fetchall()
    if twice:
        listed = ", ".join(f"episodes {low} and {high}" for _sha, low, high in twice[:5])
        raise RuntimeError(f"the catalog holds more than one episode made from the same recording ({listed}); "
                           "remove the extra ones (`chorus status`), then upgrade again")
    with op.batch_alter_table('episodes') as batch:
        batch.drop_index(op.f('ix_episodes_source_sha256'))
        batch.create_index(op.f('ix_episodes_source_sha256'), ['source_sha256'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('episodes') as batch:
        batch.drop_index(op.f('ix_episodes_source_sha256'))
        batch.create_index(op.f('ix_episodes_source_sha256'), ['source_sha256'], unique=False)
