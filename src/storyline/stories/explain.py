"""Why an article is in its story, in words, from its stored explanation (for the CLI and the web page)."""
from __future__ import annotations

from typing import Any


def explain_parts(member: dict[str, Any]) -> list[str]:
    """Why an article is in its story, as short phrases (``storyline story ID`` joins them with
    "; ", the story page shows each): from the member's stored explanation (docs/stories.md)."""
    e = member.get("explanation") or {}
    if not isinstance(e, dict):
        return []
    if e.get("decision"):
        return [f"placed by the user ({e['decision']}" + (f" of story {e['from']}" if e.get("from") else "") + ")"]
    parts = []
    if e.get("revision_of") is not None:
        parts.append(f"a new version of article {e['revision_of']}, which was in this story"
                     + (" (placed without scoring: the story is older than the grouping window)"
                        if e.get("kept") else ""))
    if e.get("duplicate_of") is not None:
        parts.append(f"{e.get('kind', '')} copy of article {e['duplicate_of']} (similarity {e.get('similarity')})")
    if e.get("new_story"):
        closest = e.get("closest")
        parts.append("started the story" + (f" (closest story {closest['story']} scored {closest['score']})"
                                            if closest else ""))
    shared = e.get("shared") or {}
    for name in ("entities", "places", "dates", "figures", "words"):
        if shared.get(name):
            parts.append(f"{name}: {', '.join(map(str, shared[name]))}")
    if e.get("time_factor"):
        parts.append(f"time factor {e['time_factor']}")
    if e.get("backlog"):
        parts.append("placed by the backlog pass (this run was clustered as a whole: shared neighbours, "
                     "not the score alone)")
    if e.get("cluster_score") is not None:
        parts.append(f"its cluster in this run joined the story (mean score of the cluster's articles "
                     f"{e['cluster_score']})")
    if e.get("attached"):
        parts.append("joined from a small cluster: its nearest articles outside it were all in this story")
    near = e.get("nearest")
    if isinstance(near, dict) and near.get("members"):
        ids = [str(a) for a in near["members"]]
        named = ", ".join(ids[:-1]) + " and " + ids[-1] if len(ids) > 1 else ids[0]
        # the margin equals the mean when no other story had a member near it
        margin = near.get("margin")
        rival = f", {margin} above any other story's nearest" if margin not in (None, near.get("mean")) else ""
        parts.append(f"below the threshold on average, but its nearest articles ({named}) are in this story "
                     f"(mean similarity {near.get('mean')}{rival})")
    if e.get("page_theme"):
        parts.append(f"live-blog theme weighed down: {', '.join(map(str, e['page_theme']))}")
    return parts
