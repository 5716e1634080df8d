"""Words for BM25: lowercased, English stopwords dropped, Snowball-stemmed."""

import logging
import math
import re
import sys
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable

import bm25s
import numpy as np
import Stemmer
from bm25s.tokenization import STOPWORDS_EN_PLUS

_WORD = re.compile(r"[^\W_]{2,}|\d", flags=re.UNICODE)
# English stopwords plus the filler of typed questions, which says nothing about the topic: chat shorthand
# and contractions typed without their apostrophe ("whats", "dont"), which would otherwise count as rare words.
_STOPWORDS = frozenset(STOPWORDS_EN_PLUS) | {
    "many", "much", "vs", "versus", "tell", "explain", "please", "pls", "plz", "thx", "thanks", "hi", "hey",
    "hello", "ppl", "ur", "ok", "okay", "exactly", "basically", "actually", "really", "anyway", "guys",
    "whats", "hows", "whos", "wheres", "whens", "whys", "thats", "theres", "heres", "isnt", "arent", "wasnt",
    "werent", "dont", "doesnt", "didnt", "cant", "couldnt", "wont", "wouldnt", "shouldnt", "im", "ive", "youre",
    "weve", "theyre", "lets", "go", "goes", "going", "went", "gone", "get", "gets", "getting", "got", "thing",
    "things", "stuff", "lot", "lots", "point", "honestly", "literally", "totally", "seriously", "kinda", "sorta",
    "gonna", "wanna", "tbh", "rn", "lol", "btw", "fyi", "imo", "idk",
}  # fmt: skip
# American and British spellings meet: "optimize"/"optimise", "analyze"/"analyse" (a stem of four letters or
# more, so "size" and "prize" stay as they are).
_AMERICAN_SPELLING = re.compile(r"^(\w{4,}?)(i|y)z(e|es|ed|ing|ation|ations|er|ers)$")
# The stemmer leaves an "-us" ending alone ("status", "bonus"), so the plural "plateaus" would never meet
# "plateau"; a word in "-aus" is the plural of one in "-au".
_PLURAL_OF_AU = re.compile(r"^(\w{3,}au)s$")


class Analyzer:
    """Turns text into BM25 terms; PyStemmer objects are not thread-safe, so calls are serialised.

    Every question analyses the same top passages and headings again (grounding, sentence selection), so the
    terms of recent texts are kept: bounded, least recently used first out, like `SentenceCache`.
    """

    def __init__(self, max_cached: int = 8192) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._lock = threading.Lock()
        self._max_cached = max_cached
        self._cached: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    @property
    def kept_texts(self) -> int:
        """How many texts' terms are kept (a property, not `len`: an analyzer with none kept is still truthy)."""
        return len(self._cached)

    @staticmethod
    def words(text: str) -> list[str]:
        """The stopword-free words of `text`, lowercased but not stemmed."""
        return [
            _PLURAL_OF_AU.sub(r"\1", _AMERICAN_SPELLING.sub(r"\1\2s\3", w))
            for w in _WORD.findall(text.lower())
            if w not in _STOPWORDS
        ]

    def terms(self, text: str) -> list[str]:
        """The stemmed, stopword-free terms of `text`."""
        with self._lock:
            cached = self._cached.get(text)
            if cached is not None:
                self._cached.move_to_end(text)
                return list(cached)
        words = self.words(text)
        with self._lock:
            # Interned: the kept texts share one copy of each stem rather than one per occurrence.
            stems = tuple(map(sys.intern, self._stemmer.stemWords(words)))
            self._cached[text] = stems
            while len(self._cached) > self._max_cached:
                self._cached.popitem(last=False)
        return list(stems)


class LexicalIndex:
    """BM25 (bm25s, Lucene variant) over a fixed list of texts."""

    def __init__(self, texts: list[str], analyzer: Analyzer) -> None:
        self._analyzer = analyzer
        self.size = len(texts)
        self._bm25: bm25s.BM25 | None = None
        self.document_frequency: Counter[str] = Counter()
        if texts:
            # bm25s logs every index build at DEBUG on its own logger, which reaches the CLI's stderr.
            logging.getLogger("bm25s").setLevel(logging.WARNING)
            corpus = [analyzer.terms(t) or ["\x00empty"] for t in texts]
            for terms in corpus:
                self.document_frequency.update(set(terms))
            self._bm25 = bm25s.BM25()
            self._bm25.index(corpus, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every text for `query` (zeros when no query term is known)."""
        if self._bm25 is None:
            return np.zeros(self.size, dtype=np.float32)
        vocab = self._bm25.vocab_dict
        ids = [vocab[t] for t in self._analyzer.terms(query) if t in vocab]
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return self._bm25.get_scores_from_ids(ids)


def inverse_document_frequency(term: str, indexes: Iterable[LexicalIndex]) -> float:
    """BM25's idf of a term over several indexes taken together (rare terms weigh more)."""
    indexes = list(indexes)
    documents = sum(index.size for index in indexes)
    frequency = sum(index.document_frequency.get(term, 0) for index in indexes)
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))
