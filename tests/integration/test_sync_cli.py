"""``newsdesk accounts …`` and ``newsdesk sync`` end to end, in a subprocess.

Needs a real keyring (the password is kept only there): run under
``scripts/with-secret-service`` (as scripts/test does); skips otherwise.
"""

from __future__ import annotations

from pathlib import Path

from desktop.sources.credentials import CredentialStore
from tests.support.cli import add_account, run, run_json
from tests.support.greader_server import GReaderServer

PASSWORD = "correct horse battery"


def test_accounts_and_sync_from_the_command_line(tmp_path: Path, keyring_ok: None) -> None:
    data = tmp_path / "data"
    with GReaderServer(flavour="miniflux") as server:
        feed = server.add_feed("World", folder="News")
        ids = server.add_items(feed, 12)
        server.set_state(ids[0], starred=True)
        account_id = add_account(data, "greader", server.base_url, "alice", PASSWORD)
        listed = run_json(data, "accounts", "list", "--json")
        assert [(a["id"], a["kind"], a["username"]) for a in listed] == [
            (account_id, "greader", "alice")
        ]
        [report] = run_json(data, "sync", "--json")
        assert report["error"] is None and report["new"] == 12 and report["feeds"] == 1
        articles = run_json(data, "list", "--view", "all", "--json", "--limit", "100")
        assert len(articles) == 12
        assert {a["source"] for a in articles} == {"World"}
        assert any(a["language"] == "en" for a in articles)  # enriched locally after the sync
        assert sum(a["flagged"] for a in articles) == 1
        target = next(a for a in articles if not a["flagged"])
        run(data, "mark", str(target["id"]), "--read")
        [report] = run_json(data, "sync", "--account", str(account_id), "--json")
        assert report["sent"] == 1 and report["waiting"] == 0
        assert sum(item.read for item in server.items.values()) == 1
        # the password is in no file of the data folder and no output
        for path in data.rglob("*"):
            if path.is_file():
                assert PASSWORD.encode() not in path.read_bytes(), path
        missing = run(data, "sync", "--account", "99", check=False)
        assert missing.returncode == 1 and "no account 99" in missing.stderr
        run(data, "accounts", "remove", str(account_id))
        assert run_json(data, "accounts", "list", "--json") == []
        assert CredentialStore().get(f"account:greader:{server.base_url}", "alice") is None


def test_fetch_leaves_account_sources_to_their_server(tmp_path: Path, keyring_ok: None) -> None:
    data = tmp_path / "data"
    with GReaderServer(flavour="freshrss") as server:
        feed = server.add_feed("World")
        server.add_items(feed, 3)
        add_account(data, "greader", server.base_url, "alice", PASSWORD)
        run(data, "sync", "--no-enrich")
        [source] = run_json(data, "sources", "--json")
        fetched = run(data, "fetch", "--all", "--no-enrich").stdout
        assert "ok 0, not modified 0, failed 0, new articles 0" in fetched, fetched
        fetched = run(data, "fetch", "--source", str(source["id"]), "--no-enrich").stdout
        assert "failed 0, new articles 0" in fetched, fetched
        assert len(run_json(data, "list", "--view", "all", "--json")) == 3
