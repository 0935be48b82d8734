"""The PostgreSQL harness itself: a private cluster, a database per test, durable commits."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.needs_system


def test_cluster_gives_each_test_an_empty_database_with_durable_commits(pg_url, pg_cluster):
    import psycopg

    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"
        assert conn.execute("SHOW fsync").fetchone()[0] == "on"
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                            ).fetchone()[0] == 0
    assert pg_cluster.new_database() != pg_url
