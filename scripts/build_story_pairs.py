"""Build the labelled duplicate/non-duplicate story pair set from the real fixtures.

Run: python scripts/build_story_pairs.py  (deterministic; see tests/fixtures/stories/README.md)
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_CANDIDATES = (ROOT / ".." / "shared", Path("/work/shared"))
_BLOCK = re.compile(r"(?i)<\s*(/?(p|div|br|li|h[1-6]|tr|blockquote|pre|section|article)\b[^>]*)>")
_TAG = re.compile(r"<[^>]+>")


def shared_dir() -> Path:
    for cand in SHARED_CANDIDATES:
        if (cand / "fixtures" / "real").is_dir():
            return cand.resolve()
    raise SystemExit("shared fixtures not found")


def html_to_text(markup: str) -> str:
    """Plain text with one line per block element."""
    text = _BLOCK.sub("\n", markup or "")
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _entry_body(entry) -> str:
    if entry.get("content"):
        return max((c.get("value", "") for c in entry["content"]), key=len)
    return entry.get("summary", "") or ""


def load_articles() -> list[dict]:
    """Every entry of the real RSS/Atom/RDF/JSON fixtures as a plain dict."""
    import feedparser

    real = shared_dir() / "fixtures" / "real"
    out: list[dict] = []
    for path in sorted(real.glob("*/*")):
        kind = path.parent.name
        if kind in ("html_discovery", "opml"):
            continue
        feed = f"{kind}/{path.name}"
        if kind == "json":
            try:
                data = json.loads(path.read_bytes())
            except ValueError:
                continue
            for item in data.get("items", []):
                body = item.get("content_html") or item.get("content_text") or ""
                out.append(
                    {
                        "feed": feed,
                        "title": html.unescape(item.get("title") or "").strip(),
                        "text": html_to_text(body),
                        "url": item.get("url") or "",
                        "guid": str(item.get("id") or ""),
                    }
                )
            continue
        parsed = feedparser.parse(path.read_bytes())
        for entry in parsed.entries:
            out.append(
                {
                    "feed": feed,
                    "title": html_to_text(entry.get("title", "")).replace("\n", " "),
                    "text": html_to_text(_entry_body(entry)),
                    "url": entry.get("link", "") or "",
                    "guid": entry.get("id", "") or "",
                }
            )
    return out


# ----------------------------------------------------------------------------- pairs

SEED = 20240607
MAX_WORDS = 400  # originals are capped to keep the file small (see README)
SITES = ["Daily Wire Feed", "NewsNow", "Techmeme", "Yahoo News", "MSN", "Flipboard", "Feedly Pro"]
AGG_HOSTS = ["news.example-aggregator.com", "feeds.newsnow.example", "www.msn.example"]
BOILER_LINES = [
    "Follow us on Twitter and Facebook for more updates.",
    "Subscribe to our newsletter to get the latest stories in your inbox.",
    "Share this: Twitter Facebook LinkedIn Email",
    "Image: Getty Images",
    "Copyright © {year} {site}. All rights reserved.",
    "Originally published at {site}.",
    "Advertisement",
    "Sign up for our daily briefing.",
    "Like this article? Support independent journalism.",
    "Photo credit: Reuters",
]
MARKERS = [" …", " [...]", "... Read more »", " Continue reading →", " […]", "… Read more"]
TRACKERS = [
    "utm_source=feedburner&utm_medium=feed&utm_campaign=Feed",
    "fbclid=IwAR0abcdEFGH",
    "utm_source=twitter&ref=aggregator",
    "gclid=Cj0KCQjw&mc_cid=1234&mc_eid=abcd",
]
_SENT = re.compile(r"(?<=[.!?。！？])\s+")


def _words(text: str) -> list[str]:
    return text.split()


def _cap(text: str, n: int = MAX_WORDS) -> str:
    out, count = [], 0
    for line in text.split("\n"):
        w = line.split()
        if count + len(w) > n:
            out.append(" ".join(w[: n - count]))
            break
        out.append(line)
        count += len(w)
    return "\n".join(x for x in out if x)


def _norm_words(text: str) -> set[str]:
    return set(re.findall(r"\w+", html.unescape(text).casefold()))


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _norm_link(url: str) -> str:
    u = url.strip().lower().split("#")[0].rstrip("/")
    return re.sub(r"^https?://(www\.)?", "", u)


def _identity(arts: list[dict]) -> list[int]:
    """Union-find of "same real article": same link, same guid, or same title and body."""
    parent = list(range(len(arts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: dict[str, int] = {}
    for i, a in enumerate(arts):
        ids = []
        link = _norm_link(a["url"])
        if link.count("/") >= 1 and len(link) > 15:
            ids.append("l:" + link)
        if len(a["guid"]) >= 8:
            ids.append("g:" + a["guid"].strip())
        ids.append("c:" + a["title"].casefold().strip() + "\x00" + a["text"][:200].casefold())
        for key in ids:
            if key in seen:
                parent[find(i)] = find(seen[key])
            else:
                seen[key] = i
    return [find(i) for i in range(len(arts))]


def _tracked(url: str, rng) -> str:
    from urllib.parse import urlsplit, urlunsplit

    p = urlsplit(url)
    choice = rng.randrange(4)
    host = p.netloc
    if choice == 1 and not host.startswith("www."):
        host = "www." + host
    elif choice == 2:
        host = "m." + host.removeprefix("www.")
    q = "&".join(x for x in (p.query, rng.choice(TRACKERS)) if x)
    path = p.path + ("/amp" if choice == 3 else "")
    scheme = "http" if p.scheme == "https" and rng.random() < 0.5 else p.scheme
    return urlunsplit((scheme, host, path, q, "share" if rng.random() < 0.3 else ""))


def _boiler(rng, site: str, k: int) -> list[str]:
    return [x.format(site=site, year=2024) for x in rng.sample(BOILER_LINES, k)]


def _entities(text: str, rng) -> str:
    t = text.replace("'", "’" if rng.random() < 0.5 else "&#8217;").replace('"', "&quot;")
    t = html.escape(t, quote=False) if rng.random() < 0.5 else t.replace("&", "&amp;")
    paras = t.split("\n")
    return "".join(f"<p>{p.replace(' ', '&nbsp;', 1)}</p>\n" for p in paras)


def _title_variant(title: str, rng, site: str) -> str:
    r = rng.randrange(3)
    t = title.title() if r == 0 else title.upper() if r == 1 else title
    return t + rng.choice([f" - {site}", f" | {site}", f" — {site}"])


def _agg_url(rng, i: int) -> str:
    return f"https://{rng.choice(AGG_HOSTS)}/story/{i}-{rng.randrange(10**8)}"


def _truncate_words(text: str, rng) -> str | None:
    w = _words(text)
    if len(w) < 30:
        return None
    k = rng.randint(15, min(80, len(w) - 10))
    cut = " ".join(w[:k])
    if rng.random() < 0.3:  # cut inside a word, as character limits do
        cut = cut[: -rng.randint(1, 3)]
    return cut + rng.choice(MARKERS)


def _truncate_sentences(text: str, rng) -> str | None:
    sents = _SENT.split(" ".join(_words(text)))
    if len(sents) < 3 or len(_words(text)) < 30:
        return None
    k = rng.randint(1, min(3, len(sents) - 1))
    out = " ".join(sents[:k])
    if len(out.split()) < 8:
        return None
    return out + rng.choice(MARKERS)


def make_pairs(arts: list[dict], rng) -> tuple[list[dict], list[tuple[int, int, int, str]]]:
    """Docs and (a, b, label, kind) pairs. Doc ids index the docs list."""
    import random as _r  # noqa: F401  (rng is a random.Random)

    ident = _identity(arts)
    docs: list[dict] = []
    pairs: list[tuple[int, int, int, str]] = []
    orig_id: dict[int, int] = {}
    for i, a in enumerate(arts):
        orig_id[i] = len(docs)
        docs.append({**a, "text": _cap(a["text"])})

    def add(doc: dict) -> int:
        docs.append(doc)
        return len(docs) - 1

    # --- positives: natural duplicates (the same article in two real feeds) ---
    groups: dict[int, list[int]] = {}
    for i, g in enumerate(ident):
        groups.setdefault(g, []).append(i)
    for members in groups.values():
        feeds = {arts[m]["feed"] for m in members}
        if len(members) > 1 and len(feeds) > 1:
            for x in range(len(members) - 1):
                if arts[members[x]]["feed"] != arts[members[x + 1]]["feed"]:
                    pairs.append((orig_id[members[x]], orig_id[members[x + 1]], 1, "natural"))

    # --- positives: synthetic aggregator transformations of real articles ---
    rich = [i for i, a in enumerate(arts) if len(_words(a["text"])) >= 20 and a["title"]]
    one_per_identity: dict[int, int] = {}
    for i in rich:
        one_per_identity.setdefault(ident[i], i)
    rich = sorted(one_per_identity.values())
    for n, i in enumerate(rich):
        a = docs[orig_id[i]]
        site = rng.choice(SITES)
        kinds = rng.sample(
            ["trunc_words", "trunc_sents", "boiler_add", "boiler_swap", "post_appeared",
             "entities", "title_variant", "url_mirror", "guid_copy", "combined"],
            k=3,
        )  # fmt: skip
        for kind in kinds:
            b = {**a, "feed": "synthetic:" + kind, "url": _agg_url(rng, n), "guid": ""}
            left = orig_id[i]
            if kind == "trunc_words":
                t = _truncate_words(a["text"], rng)
                if t is None:
                    continue
                b["text"] = t
            elif kind == "trunc_sents":
                t = _truncate_sentences(a["text"], rng)
                if t is None:
                    continue
                b["text"] = t
            elif kind == "boiler_add":
                lines = _boiler(rng, site, rng.randint(1, 3))
                k = rng.randrange(len(lines) + 1)
                b["text"] = "\n".join([*lines[:k], a["text"], *lines[k:]])
            elif kind == "boiler_swap":
                left = add(
                    {**a, "text": "\n".join([a["text"], *_boiler(rng, rng.choice(SITES), 2)])}
                )
                b["text"] = "\n".join([*_boiler(rng, site, 1), a["text"], *_boiler(rng, site, 1)])
            elif kind == "post_appeared":
                b["text"] = f"{a['text']}\nThe post {a['title']} appeared first on {site}."
            elif kind == "entities":
                b["text"] = _entities(a["text"], rng)
                b["title"] = html.escape(a["title"])
            elif kind == "title_variant":
                b["title"] = _title_variant(a["title"], rng, site)
            elif kind == "url_mirror":
                if not a["url"].startswith("http"):
                    continue
                b["url"] = _tracked(a["url"], rng)
                b["title"] = _title_variant(a["title"], rng, site)
                b["text"] = ""
            elif kind == "guid_copy":
                if not a["guid"] or len(a["guid"]) < 16:
                    continue
                b["guid"] = a["guid"]
                b["text"] = _truncate_words(a["text"], rng) or a["text"]
            elif kind == "combined":
                t = _truncate_words(a["text"], rng) or a["text"]
                b["text"] = "\n".join([*_boiler(rng, site, 1), t])
                b["title"] = _title_variant(a["title"], rng, site)
            pairs.append((left, add(b), 1, kind))

    # --- negatives: distinct real articles, hardest first ---
    def distinct(i: int, j: int) -> bool:
        if ident[i] == ident[j]:
            return False
        wi, wj = _norm_words(arts[i]["text"]), _norm_words(arts[j]["text"])
        if _jaccard(wi, wj) >= 0.5:
            return False  # too close to call without a human: left out
        small = min(len(wi), len(wj))
        if small >= 20 and len(wi & wj) / small >= 0.6:
            return False  # one text mostly inside the other (teaser vs full text): left out
        ti, tj = arts[i]["title"].casefold().strip(), arts[j]["title"].casefold().strip()
        return not (ti == tj and min(len(wi), len(wj)) < 12)

    by_feed: dict[str, list[int]] = {}
    for i, a in enumerate(arts):
        by_feed.setdefault(a["feed"], []).append(i)
    neg: set[tuple[int, int]] = set()
    # same feed: shared template, author, boilerplate, often short texts
    for members in by_feed.values():
        if len(members) < 2:
            continue
        want = min(60, len(members) * 2)
        for _ in range(want * 3):
            if want <= 0:
                break
            i, j = rng.sample(members, 2)
            key = (min(i, j), max(i, j))
            if key not in neg and distinct(i, j):
                neg.add(key)
                pairs.append((orig_id[i], orig_id[j], 0, "neg_same_feed"))
                want -= 1
    # similar titles anywhere in the corpus
    toks = [set(re.findall(r"\w+", a["title"].casefold())) for a in arts]
    index: dict[str, list[int]] = {}
    for i, t in enumerate(toks):
        for w in t:
            index.setdefault(w, []).append(i)
    similar = []
    for i, t in enumerate(toks):
        counts: dict[int, int] = {}
        for w in t:
            lst = index[w]
            if len(lst) > 200:
                continue
            for j in lst:
                if j > i:
                    counts[j] = counts.get(j, 0) + 1
        for j, c in counts.items():
            if c / len(t | toks[j]) >= 0.5:
                similar.append((i, j))
    similar.sort()  # set iteration order varies with PYTHONHASHSEED
    rng.shuffle(similar)
    for i, j in similar[:1500]:
        if (i, j) not in neg and distinct(i, j):
            neg.add((i, j))
            pairs.append((orig_id[i], orig_id[j], 0, "neg_similar_title"))
    # same opening words (templates: "submitted by", "Article URL:", podcast intros)
    by_open: dict[str, list[int]] = {}
    for i, a in enumerate(arts):
        w = re.findall(r"\w+", a["text"].casefold())
        if len(w) >= 6:
            by_open.setdefault(" ".join(w[:6]), []).append(i)
    for members in by_open.values():
        for _ in range(min(40, len(members))):
            if len(members) < 2:
                break
            i, j = sorted(rng.sample(members, 2))
            if (i, j) not in neg and distinct(i, j):
                neg.add((i, j))
                pairs.append((orig_id[i], orig_id[j], 0, "neg_same_opening"))
    # a truncated copy of one article against another article of the same feed
    for members in by_feed.values():
        cands = [m for m in members if len(_words(arts[m]["text"])) >= 30]
        for _ in range(min(15, len(cands))):
            if len(cands) < 2:
                break
            i, j = rng.sample(cands, 2)
            t = _truncate_words(docs[orig_id[i]]["text"], rng)
            if t and distinct(i, j):
                b = {**arts[i], "text": t, "feed": "synthetic:trunc_other", "guid": ""}
                b["url"] = _agg_url(rng, i)
                pairs.append((add(b), orig_id[j], 0, "neg_truncated_other"))
    # one site template around two distinct articles (uncleaned header/footer lines)
    # and a recurring column title ("Links for today") over two distinct articles
    for members in by_feed.values():
        for _ in range(min(12, len(members))):
            if len(members) < 2:
                break
            i, j = rng.sample(members, 2)
            if not distinct(i, j) or not arts[i]["text"] or not arts[j]["text"]:
                continue
            lines = _boiler(rng, rng.choice(SITES), 3)
            tx = "\n".join([lines[0], docs[orig_id[i]]["text"], *lines[1:]])
            ty = "\n".join([lines[0], docs[orig_id[j]]["text"], *lines[1:]])
            x = add({**arts[i], "text": tx, "feed": "synthetic:template"})
            y = add({**arts[j], "text": ty, "feed": "synthetic:template"})
            pairs.append((x, y, 0, "neg_shared_template"))
            y2 = add({**docs[orig_id[j]], "title": arts[i]["title"], "feed": "synthetic:title"})
            pairs.append((orig_id[i], y2, 0, "neg_recurring_title"))
    # random pairs across feeds
    for _ in range(800):
        i, j = rng.sample(range(len(arts)), 2)
        if arts[i]["feed"] != arts[j]["feed"] and distinct(i, j):
            pairs.append((orig_id[i], orig_id[j], 0, "neg_random"))
    return docs, pairs


def main() -> None:
    """Write tests/fixtures/stories/pairs.jsonl.gz (docs first, then pairs)."""
    import argparse
    import collections
    import gzip
    import random

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=ROOT / "tests/fixtures/stories/pairs.jsonl.gz")
    args = ap.parse_args()
    arts = load_articles()
    docs, pairs = make_pairs(arts, random.Random(SEED))
    used = sorted({i for p in pairs for i in p[:2]})
    remap = {old: new for new, old in enumerate(used)}
    with gzip.GzipFile(args.out, "wb", mtime=0) as gz:
        for old in used:
            d = docs[old]
            rec = {"doc": remap[old], **{k: d[k] for k in ("feed", "title", "url", "guid", "text")}}
            gz.write((json.dumps(rec, ensure_ascii=False) + "\n").encode())
        for a, b, label, kind in pairs:
            rec = {"pair": [remap[a], remap[b]], "label": label, "kind": kind}
            gz.write((json.dumps(rec) + "\n").encode())
    counts = collections.Counter((p[3], p[2]) for p in pairs)
    print(f"{len(arts)} articles, {len(used)} docs, {len(pairs)} pairs -> {args.out}")
    for (kind, label), n in sorted(counts.items()):
        print(f"  {kind:22} label={label} {n}")


if __name__ == "__main__":
    main()
