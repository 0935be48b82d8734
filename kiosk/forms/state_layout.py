"""Incremental re-evaluation: what one answer makes stale, and the screen layout it patches.

Split from kiosk.forms.state, which says what answers and expressions mean, because
this part only makes a session fast and decides no value: results are cached per
(question, repeat item) and, after an answer, dropped and re-evaluated in dependency
order (kiosk.forms.deps), going further only from results that changed; the screen
layout is rebuilt only for pages where a visibility it was built on changed. Without
these caches a session would answer the same, only slower on a long form.
"""

from __future__ import annotations

import heapq
from typing import Any, Protocol

from kiosk.forms.deps import DepGraph
from kiosk.forms.model import FormDef, Page, Question
from kiosk.forms.screens import Screen, ScreenBuilder, ScreenSession
from kiosk.forms.state_env import _same

Item = tuple[int, ...]
Key = tuple[str, Item]
_MISS = object()  # "not cached" (None is a result)


class _Caches(Protocol):
    """The caches' own state (declared once: the mixin and its host type share it)."""

    _cache: dict[str, dict[tuple[str, Item], Any]]  # name -> (slot, item) -> result
    _screens: list[Screen] | None
    _pairs: list[tuple[Question, Item]] | None
    _stale_vis: dict[Key, Any]  # visibility results dropped since the layout
    _page_vis: dict[str, bool]
    _page_cache: dict[str, bool]  # page relevance results
    _pages_touched: set[str]  # page relevance dropped since the layout
    _page_pairs: dict[str, list[tuple[Question, Item]]]  # layout, per page
    _page_screens: dict[str, list[Screen]]
    _screen_pos: dict[str, int]  # screen key -> position in the screen list


class LayoutHost(_Caches, ScreenSession, Protocol):
    """What the caches need of their session (``AnswerState`` has it)."""

    form: FormDef
    _graph: DepGraph
    _pages: dict[str, Page]

    def page_visible(self, page_name: str) -> bool: ...

    def _expr_value(self, q: Question, item: Item) -> Any: ...

    def _calc_changed(self, name: str) -> None: ...

    def _dirty_pages(self) -> set[str] | None: ...

    def _all_pairs(self) -> list[tuple[Question, Item]]: ...


class IncrementalState(_Caches):
    """The cache half of ``AnswerState`` (a mixin: its methods run on the session)."""

    def _init_caches(self) -> None:
        self._cache = {}
        self._screens: list[Screen] | None = None
        self._pairs: list[tuple[Question, Item]] | None = None
        self._stale_vis, self._page_vis, self._page_cache = {}, {}, {}
        self._pages_touched = set()
        self._page_pairs, self._page_screens, self._screen_pos = {}, {}, {}

    def _invalidate(self: LayoutHost, name: str) -> None:
        """After ``name`` changed: re-evaluate what depends on it, in dependency order,
        going further only from results that actually changed (so an answer costs what it
        changes, not the size of the form). Errors, required states and choices that use a
        changed result are dropped and recomputed when asked for. The screen layout is
        patched only for pages where a visibility changed (see _all_pairs)."""
        graph, cache, stale = self._graph, self._cache, self._stale_vis
        rank = graph.rank
        heap = [(rank.get(name, 0), name)]
        queued = {name}
        while heap:
            _r, n = heapq.heappop(heap)
            per = cache.pop(n, None)
            changed = n == name
            if per:
                q = self.form.questions[n]
                for (slot, item), old in per.items():
                    if slot == "vis":
                        if (n, item) not in stale:
                            stale[(n, item)] = old
                        if not changed and self.visible(n, item) != old:
                            changed = True
                    elif slot == "v" and not changed and not _same(self._expr_value(q, item), old):
                        changed = True
            if not changed:
                continue
            self._calc_changed(n)
            for d in graph.others.get(n, ()):
                per_d = cache.get(d)
                if per_d:
                    for key in [k for k in per_d if k[0] in ("err", "req", "choices")]:
                        del per_d[key]
            for page in graph.pages.get(n, ()):
                self._page_cache.pop(page, None)
                self._pages_touched.add(page)
            for d in graph.values.get(n, ()):
                if d not in queued:
                    queued.add(d)
                    heapq.heappush(heap, (rank.get(d, 0), d))

    def _calc_changed(self: LayoutHost, name: str) -> None:
        """A shown calculation's value changed: its page's screens are built again (an
        empty one has no screen of its own, ScreenBuilder._shown)."""
        q = self.form.questions[name]
        if q.calculate and q.label_texts:
            self._page_screens.pop(q.page, None)
            self._screens = None

    def _clear(self: LayoutHost) -> None:
        self._cache.clear()
        self._page_cache.clear()
        self._screens = self._pairs = None
        self._page_pairs.clear()
        self._page_screens.clear()
        self._stale_vis.clear()

    def _dirty_pages(self: LayoutHost) -> set[str] | None:
        """Pages whose layout changed since it was built (None: rebuild everything)."""
        if self._pairs is None:
            return None
        dirty: set[str] = set()
        if self._stale_vis:
            stale, self._stale_vis = self._stale_vis, {}
            for (name, item), old in stale.items():
                if self.visible(name, item) != old:
                    dirty.add(self.form.questions[name].page)
        touched, self._pages_touched = self._pages_touched, set()
        for name in touched:
            now = self.page_visible(name)
            if self._page_vis.get(name) != now:
                self._page_vis[name] = now
                dirty.add(name)
        return dirty

    def _all_pairs(self: LayoutHost) -> list[tuple[Question, Item]]:
        """Visible (question, item) pairs in form order, repeats after their items."""
        dirty = self._dirty_pages()
        if dirty is None:
            self._stale_vis.clear()
            self._pages_touched.clear()
            self._page_vis = {p.name: self.page_visible(p.name) for p in self.form.pages}
            dirty = set(self._pages)
        if dirty or self._pairs is None:
            builder = ScreenBuilder(self)
            for name in dirty:
                self._page_pairs[name] = list(builder.walk(self._pages[name].questions, ()))
                self._page_screens.pop(name, None)
            self._pairs = [pair for p in self.form.pages for pair in self._page_pairs[p.name]]
            self._screens = None
        return self._pairs

    def _layout_screens(self: LayoutHost, builder: ScreenBuilder) -> list[Screen]:
        """The screens, rebuilt only for pages whose pairs changed."""
        self._all_pairs()
        if self._screens is None:
            out: list[Screen] = []
            for p in self.form.pages:
                screens = self._page_screens.get(p.name)
                if screens is None:
                    screens = self._page_screens[p.name] = builder.screens(self._page_pairs[p.name])
                out += screens
            self._screens = out
            self._screen_pos = {sc.key: i for i, sc in enumerate(out)}
        return self._screens

    # ------------------------------------------------------------ cached results
    def _cached(self: LayoutHost, name: str, slot: str, item: Item, compute: Any) -> Any:
        per = self._cache.get(name)
        if per is None:
            per = self._cache[name] = {}
        key = (slot, item)
        if key in per:
            return per[key]
        value = per[key] = compute()
        return value

    def _hit(self: LayoutHost, name: str, slot: str, item: Item) -> Any:
        """The cached result or _MISS (no closure allocated on the hot path)."""
        per = self._cache.get(name)
        if per is None:
            return _MISS
        return per.get((slot, item), _MISS)
