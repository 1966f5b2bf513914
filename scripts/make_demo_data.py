"""Generate the demo prediction files in ``data/demo/`` from real scikit-learn models.

The story (multiclass, the main demo). A digit-recognition service reads handwritten digits
(scikit-learn's bundled 8x8 ``digits`` images). Half of the images train the models; the other half
is the held-out test set, and each test image is tagged with the ``scanner`` it came through:

* ``flatbed`` (about 60%): clean scans, the images as they are;
* ``phone`` (about 25%): photographed with a phone, so slightly blurred and noisy;
* ``fax`` (about 15%): faxed, so the strokes bleed sideways and come out thicker.

The *base* model is the old production model: a logistic regression trained quickly on only 300
images, but with augmentation (each training image also seen as a phone photo and as a fax). The
*fine-tuned* model is an RBF SVC (calibrated probabilities) trained on every training image, clean
scans only. It is clearly better overall and on flatbed scans, still better on phone photos, but
on faxes, which it never saw, it is worse than the base model, and a class or two lose recall.
``ink`` (total pixel intensity of the image as scanned) is a numeric column to slice by: faxes
carry more ink.

The binary demo uses the bundled breast-cancer data (label ``malignant``, the positive class, or
``benign``; ``score`` is the probability of ``malignant``): the base model is a logistic
regression on two texture/smoothness features, the fine-tuned one uses all 30 features.
Metadata: ``tumor_size`` (the mean radius) and ``clinic`` (assigned at random, seeded).

The regression demo uses the bundled diabetes data: ten baseline measurements of 442 patients (age,
sex, body mass index, blood pressure, six blood serum values) and, as the target, a quantitative
measure of disease progression one year after baseline. A random 40% of the patients (seeded) are
the held-out test set. The *base* model is a linear regression on two features (body mass index and
blood pressure), trained on every training patient. The *fine-tuned* model is a ridge regression on
all ten standardized features, but its training data came from a screening cohort of patients aged
40 and over, so it never saw a younger patient. It is better overall (lower MAE and RMSE, higher R2)
and much better for patients aged 40-55, but worse for the under-40s. ``label`` is the true
progression, ``prediction`` the model's estimate (2 decimals); metadata: ``sex`` (``sex_1`` or
``sex_2``: the dataset codes sex as 1 or 2 without saying which is which), ``age_band`` (``<40``,
``40-55``, ``55+``; years) and ``bmi_band`` (``<25``, ``25-30``, ``30+``; kg/m2, the WHO cut-offs).

The progression values are whole numbers (25 to 346), and they are written as they are (``151``, not
``151.0``). A tool that infers the task cannot tell integer targets from class labels, so this demo is
compared with ``--task regression``.

The generation demo translates the English messages of Django's user interface into German, from
the German message catalogs that ship inside Django (the core catalog and those of its contrib apps:
admin, auth, admindocs, humanize and seven small ones together as ``other``). Every English text once;
a seeded 40% of each catalog's messages are held out, the rest is training data. Each model version is
a translation memory (its output: the German text of the most similar training message, by the Dice
coefficient of character trigrams) with a count-based language model of the German side (bytes,
5-grams, interpolated Witten-Bell smoothing), which scores the held-out *reference*, so both versions'
perplexities are of the same text. The *base* version knows only the core catalog's training messages
(general-domain text): its memory and its language model. The *fine-tuned* one also knows the contrib
apps' (in-domain text): its memory holds every training message, and its language model is the base
model interpolated with a model of the contrib messages, weight 0.97 on the latter. It is much better
overall (BLEU, chrF, perplexity) and on every contrib app, but on the core catalog's own messages its
BLEU is a little lower (contrib messages now win some matches) and its perplexity clearly higher: it
has all but forgotten general text. The verdict names that slice.
``prompt`` is the English message, ``reference`` Django's German translation; metadata: ``catalog``
and ``length`` (``1-2 words``, ``3-6 words``, ``7+ words`` of the English message);
``score_placeholders_kept`` is 1 when every placeholder of the message (``%(name)s``, ``%s``,
``{name}``) is in the output, as a unit test of the translation would check.

Sources. The tabular datasets ship inside scikit-learn; nothing is downloaded. The diabetes data are
from Bradley Efron, Trevor Hastie, Iain Johnstone and Robert Tibshirani (2004), "Least Angle
Regression", Annals of Statistics 32(2), 407-499
(https://www4.stat.ncsu.edu/~boos/var.select/diabetes.html); scikit-learn ships them as
``sklearn.datasets.load_diabetes`` under its BSD-3-Clause licence. The German catalogs ship inside Django (pinned in
``requirements-dev.txt``; the script refuses another release) under Django's BSD-3-Clause licence;
their translators are named in each catalog's header. ``data/demo/README.md`` repeats this.

Everything is seeded, so ``python scripts/make_demo_data.py [OUT_DIR]`` rewrites byte-identical
files.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import sacrebleu
from scipy import ndimage
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, r2_score, recall_score, root_mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

SEED = 0
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "demo"
SCANNERS = ("flatbed", "phone", "fax")
SCANNER_SHARES = (0.60, 0.25, 0.15)
CLINICS = ("north", "central", "south")
BASE_TRAIN_SIZE = 300
WEAK_FEATURES = ("mean texture", "mean smoothness")
BASE_REGRESSION_FEATURES = ("bmi", "bp")
FINETUNED_MIN_AGE = 40
AGE_BANDS = ((40, "<40"), (55, "40-55"), (np.inf, "55+"))
BMI_BANDS = ((25, "<25"), (30, "25-30"), (np.inf, "30+"))
FILES = (
    "base.csv",
    "finetuned.csv",
    "binary_base.csv",
    "binary_finetuned.csv",
    "regression_base.csv",
    "regression_finetuned.csv",
)
GENERATION_FILES = ("generation_base.jsonl", "generation_finetuned.jsonl")
DJANGO_VERSION = "5.2.19"
"""The Django release whose German catalogs the generation demo is built from (pinned in requirements-dev.txt)."""
GENERAL_CATALOG = "core"
CATALOGS = (
    ("core", "conf/locale/de/LC_MESSAGES/django.po"),
    ("admin", "contrib/admin/locale/de/LC_MESSAGES/django.po"),
    ("admin", "contrib/admin/locale/de/LC_MESSAGES/djangojs.po"),
    ("auth", "contrib/auth/locale/de/LC_MESSAGES/django.po"),
    ("admindocs", "contrib/admindocs/locale/de/LC_MESSAGES/django.po"),
    ("humanize", "contrib/humanize/locale/de/LC_MESSAGES/django.po"),
    *(("other", f"contrib/{app}/locale/de/LC_MESSAGES/django.po")
      for app in ("contenttypes", "flatpages", "gis", "postgres", "redirects", "sessions", "sites")),
)
"""``(slice name, path inside the django package)`` of every German catalog; the small contrib apps are one slice."""
HELD_OUT_SHARE = 0.4
LM_ORDER = 5
IN_DOMAIN_WEIGHT = 0.97
"""The fine-tuned language model's weight on the in-domain (contrib) model; the base model keeps the rest."""
LENGTH_BANDS = ((3, "1-2 words"), (7, "3-6 words"), (np.inf, "7+ words"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}")
"""printf-style (``%(name)s``, ``%s``) and format-style (``{name}``, ``{}``) placeholders of a message."""
_PO_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_PO_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def phone(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A phone photo: slightly blurred, with sensor noise."""
    blurred = ndimage.gaussian_filter(image, sigma=0.7)
    return np.clip(blurred + rng.normal(0.0, 3.0, image.shape), 0.0, 16.0)


def fax(image: np.ndarray) -> np.ndarray:
    """A fax: ink bleeds one pixel sideways, so strokes come out thicker."""
    return ndimage.grey_dilation(image, size=(1, 2))


def scan(images: np.ndarray, scanners: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pass each image through its scanner."""
    out = images.astype(float).copy()
    for i, scanner in enumerate(scanners):
        if scanner == "phone":
            out[i] = phone(images[i], rng)
        elif scanner == "fax":
            out[i] = fax(images[i])
    return out


def round_probabilities(proba: np.ndarray) -> np.ndarray:
    """Floor at 1e-6 (no hard zeros), round to 6 decimals, give each row's top entry the remainder."""
    floored = np.clip(proba, 1e-6, None)
    rounded = np.round(floored / floored.sum(axis=1, keepdims=True), 6)
    rows = np.arange(len(rounded))
    top = rounded.argmax(axis=1)
    rest = rounded.sum(axis=1) - rounded[rows, top]
    rounded[rows, top] = np.round(1.0 - rest, 6)
    return rounded


def _flat(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1)


def digits_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train both digit models and return their prediction tables on the scanned test set."""
    digits = load_digits()
    index = np.arange(len(digits.target))
    train, test = train_test_split(index, test_size=0.5, stratify=digits.target, random_state=SEED)
    test = np.sort(test)
    images, y = digits.images, digits.target
    rng = np.random.default_rng(SEED)

    # Base: logistic regression on a small augmented sample (clean + phone + fax copies).
    small = np.sort(rng.choice(train, BASE_TRAIN_SIZE, replace=False))
    clean = images[small]
    augmented = np.concatenate([clean, np.stack([phone(im, rng) for im in clean]), np.stack([fax(im) for im in clean])])
    base = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=5000))
    base.fit(_flat(augmented), np.tile(y[small], 3))

    # Fine-tuned: an RBF SVC with calibrated probabilities, on every training image, clean only.
    finetuned = CalibratedClassifierCV(SVC(gamma=0.001), ensemble=False, cv=5)
    finetuned.fit(_flat(images[train]), y[train])

    scanners = rng.choice(np.array(SCANNERS), size=len(test), p=SCANNER_SHARES)
    scanned = scan(images[test], scanners, rng)
    meta = pd.DataFrame({"split": "test", "scanner": scanners, "ink": np.round(_flat(scanned).sum(axis=1), 1)})
    frames = []
    for model in (base, finetuned):
        proba = round_probabilities(model.predict_proba(_flat(scanned)))
        assert list(model.classes_) == list(range(10))
        ids = [f"digit-{i:04d}" for i in test]
        frame = pd.DataFrame({"id": ids, "label": y[test], "prediction": proba.argmax(axis=1)})
        probs = pd.DataFrame(proba, columns=[f"prob_{k}" for k in range(10)])
        frames.append(pd.concat([frame, probs, meta], axis=1))
    return frames[0], frames[1]


def breast_cancer_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train both breast-cancer models and return their prediction tables on the test set."""
    data = load_breast_cancer(as_frame=True)
    features: pd.DataFrame = data.data
    y = np.where(data.target.to_numpy() == 0, "malignant", "benign")
    index = np.arange(len(y))
    train, test = train_test_split(index, test_size=0.5, stratify=y, random_state=SEED)
    test = np.sort(test)
    rng = np.random.default_rng(SEED + 1)
    meta = pd.DataFrame(
        {
            "split": "test",
            "tumor_size": np.round(features["mean radius"].to_numpy()[test], 2),
            "clinic": rng.choice(np.array(CLINICS), size=len(test)),
        }
    )
    frames = []
    for columns in (list(WEAK_FEATURES), list(features.columns)):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))
        model.fit(features.iloc[train][columns], y[train])
        malignant = list(model.classes_).index("malignant")
        score = np.round(model.predict_proba(features.iloc[test][columns])[:, malignant], 6)
        frame = pd.DataFrame(
            {
                "id": [f"case-{i:04d}" for i in test],
                "label": y[test],
                "prediction": np.where(score >= 0.5, "malignant", "benign"),
                "score": score,
            }
        )
        frames.append(pd.concat([frame, meta], axis=1))
    return frames[0], frames[1]


def _band(values: np.ndarray, bands: tuple[tuple[float, str], ...]) -> np.ndarray:
    """Name the band of each value: the first ``(upper, name)`` with ``value < upper``."""
    return np.select([values < upper for upper, _ in bands], [name for _, name in bands], default="")


def diabetes_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train both diabetes regression models and return their prediction tables on the test set."""
    data = load_diabetes(scaled=False, as_frame=True)
    features: pd.DataFrame = data.data
    y = data.target.to_numpy()
    assert (y == np.round(y)).all()  # whole numbers, written as such
    index = np.arange(len(y))
    train, test = train_test_split(index, test_size=0.4, random_state=SEED)
    train, test = np.sort(train), np.sort(test)
    age = features["age"].to_numpy()

    # Base: a linear regression on two features, trained on every training patient.
    base = LinearRegression().fit(features.iloc[train][list(BASE_REGRESSION_FEATURES)], y[train])
    # Fine-tuned: a ridge on all ten standardized features, trained on a cohort aged 40 and over only.
    cohort = train[age[train] >= FINETUNED_MIN_AGE]
    finetuned = make_pipeline(StandardScaler(), Ridge(alpha=1.0)).fit(features.iloc[cohort], y[cohort])

    meta = pd.DataFrame(
        {
            "split": "test",
            "sex": [f"sex_{code:.0f}" for code in features["sex"].to_numpy()[test]],
            "age_band": _band(age[test], AGE_BANDS),
            "bmi_band": _band(features["bmi"].to_numpy()[test], BMI_BANDS),
        }
    )
    frames = []
    for model, columns in ((base, list(BASE_REGRESSION_FEATURES)), (finetuned, list(features.columns))):
        frame = pd.DataFrame(
            {
                "id": [f"patient-{i:03d}" for i in test],
                "label": y[test].astype(int),
                "prediction": np.round(model.predict(features.iloc[test][columns]), 2),
            }
        )
        frames.append(pd.concat([frame, meta], axis=1))
    return frames[0], frames[1]


def _po_unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: _PO_ESCAPES.get(match.group(1), match.group(0)), text)


def read_po(text: str) -> list[tuple[str, str]]:
    """The ``(msgid, msgstr)`` pairs of a gettext catalog: translated, not fuzzy, not obsolete; the singular of a plural."""
    pairs = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        fuzzy = False
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            if line.startswith("#"):
                continue
            keyword, _, rest = line.partition(" ")
            if not line.startswith('"'):
                key, line = keyword, rest
            fields[key] = fields.get(key, "") + "".join(_po_unescape(part) for part in _PO_STRING.findall(line))
        source, target = fields.get("msgid", ""), fields.get("msgstr", fields.get("msgstr[0]", ""))
        if source and target and not fuzzy:
            pairs.append((source, target))
    return pairs


def django_messages() -> pd.DataFrame:
    """Every German message of Django's catalogs, once (the first catalog to have an English text keeps it)."""
    import django  # a build dependency of the demo only (requirements-dev.txt)

    if django.__version__ != DJANGO_VERSION:
        raise SystemExit(f"the generation demo is built from Django {DJANGO_VERSION}'s catalogs, found "
                         f"{django.__version__}: pip install -r requirements-dev.txt")
    root = Path(django.__file__).parent
    rows = []
    for catalog, path in CATALOGS:
        rows += [(catalog, source, target) for source, target in read_po((root / path).read_text(encoding="utf-8"))]
    frame = pd.DataFrame(rows, columns=["catalog", "source", "target"])
    return frame.drop_duplicates("source", keep="first").reset_index(drop=True)


def _trigrams(text: str) -> frozenset[str]:
    padded = f" {text.lower()} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def translation_memory(memory: pd.DataFrame, sources: pd.Series) -> list[str]:
    """For each source, the target of the memory's most similar source (Dice coefficient of character
    trigrams; the first in memory order wins a tie): what a translation memory's best fuzzy match proposes."""
    grams = [_trigrams(text) for text in memory["source"]]
    targets = memory["target"].tolist()
    outputs = []
    for source in sources:
        query = _trigrams(source)
        similarity = [2 * len(query & other) / (len(query) + len(other)) for other in grams]
        outputs.append(targets[int(np.argmax(similarity))])
    return outputs


class ByteNgramModel:
    """A count-based language model of UTF-8 bytes: interpolated Witten-Bell smoothing of ``order``-grams
    down to the uniform distribution over the 256 bytes and the end of the message.

    ``P(w | h) = (c(h w) + T(h) P(w | h')) / (c(h) + T(h))``, with ``T(h)`` the number of distinct tokens
    seen after ``h`` and ``h'`` the history without its oldest token (Witten and Bell 1991, as SRILM's
    ``-wbdiscount -interpolate``); a history never seen keeps the shorter history's probability.
    """

    END, START = 256, 257
    VOCABULARY = 257  # the bytes and the end; START only pads histories

    def __init__(self, texts: Iterable[str], *, order: int) -> None:
        self.order = order
        counts: dict[tuple[int, ...], Counter[int]] = defaultdict(Counter)
        for text in texts:
            for history, token in self.events(text):
                for k in range(order):
                    counts[history[len(history) - k :]][token] += 1
        self.counts = dict(counts)
        self.totals = {history: sum(seen.values()) for history, seen in counts.items()}

    def events(self, text: str) -> Iterator[tuple[tuple[int, ...], int]]:
        """Each token of ``text`` (its bytes, then the end) with the ``order - 1`` tokens before it."""
        tokens = [self.START] * (self.order - 1) + list(text.encode("utf-8")) + [self.END]
        for i in range(self.order - 1, len(tokens)):
            yield tuple(tokens[i - self.order + 1 : i]), tokens[i]

    def probability(self, token: int, history: tuple[int, ...]) -> float:
        """P(token | history), interpolated from the empty history up to the last ``order - 1`` tokens."""
        p = 1.0 / self.VOCABULARY
        for k in range(self.order):
            context = history[len(history) - k :]
            seen = self.counts.get(context)
            if seen:
                p = (seen[token] + len(seen) * p) / (self.totals[context] + len(seen))
        return p

    def nll(self, text: str) -> float:
        """The negative log-likelihood of ``text`` and its end, in nats."""
        return -sum(math.log(self.probability(token, history)) for history, token in self.events(text))


class InterpolatedModel:
    """``P(w | h) = sum of weight x P_model(w | h)``: linear interpolation of byte n-gram models (SRILM's
    ``-mix-lm``), the classic adaptation of a general-domain model to a domain."""

    def __init__(self, components: Sequence[tuple[ByteNgramModel, float]]) -> None:
        self.components = tuple(components)
        assert math.isclose(sum(weight for _, weight in self.components), 1.0)

    def probability(self, token: int, history: tuple[int, ...]) -> float:
        """The weighted sum of the components' probabilities of ``token`` after ``history``."""
        return sum(weight * model.probability(token, history) for model, weight in self.components)

    def nll(self, text: str) -> float:
        """The negative log-likelihood of ``text`` and its end, in nats."""
        events = self.components[0][0].events(text)
        return -sum(math.log(self.probability(token, history)) for history, token in events)


def placeholders_kept(source: str, output: str) -> int:
    """1 if every placeholder of ``source`` is in ``output`` (always, when it has none), else 0."""
    return int(set(PLACEHOLDER.findall(source)) <= set(PLACEHOLDER.findall(output)))


def generation_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build both translation versions from Django's German catalogs; return their rows on the held-out messages."""
    messages = django_messages()
    index = np.arange(len(messages))
    train, test = train_test_split(index, test_size=HELD_OUT_SHARE, stratify=messages["catalog"], random_state=SEED)
    training, held_out = messages.iloc[np.sort(train)], messages.iloc[np.sort(test)]
    general = training[training["catalog"] == GENERAL_CATALOG]
    words = np.array([len(source.split()) for source in held_out["source"]])
    base_model = ByteNgramModel(general["target"], order=LM_ORDER)
    in_domain_model = ByteNgramModel(training.loc[training["catalog"] != GENERAL_CATALOG, "target"], order=LM_ORDER)
    adapted_model = InterpolatedModel([(base_model, 1 - IN_DOMAIN_WEIGHT), (in_domain_model, IN_DOMAIN_WEIGHT)])
    frames = []
    # Base: general-domain text only. Fine-tuned: the contrib apps' messages too, and a language model adapted to them.
    for memory, language_model in ((general, base_model), (training, adapted_model)):
        outputs = translation_memory(memory, held_out["source"])
        references = held_out["target"].tolist()
        frames.append(pd.DataFrame({
            "id": [f"msg-{i:04d}" for i in held_out.index],
            "prompt": held_out["source"].tolist(),
            "output": outputs,
            "reference": references,
            "split": "test",
            "catalog": held_out["catalog"].tolist(),
            "length": _band(words, LENGTH_BANDS),
            "nll": [round(language_model.nll(text), 6) for text in references],
            "n_tokens": [len(text.encode("utf-8")) + 1 for text in references],  # the bytes and the end
            "n_bytes": [len(text.encode("utf-8")) for text in references],
            "score_placeholders_kept": [placeholders_kept(*pair) for pair in zip(held_out["source"], outputs, strict=True)],
        }))
    return frames[0], frames[1]


def write_jsonl(frame: pd.DataFrame, path: Path) -> None:
    """One JSON object a line, UTF-8 as it is (``ä``, not ``\\u00e4``), columns in frame order."""
    lines = (json.dumps(row, ensure_ascii=False) for row in frame.to_dict(orient="records"))
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8", newline="\n")


def _scores(frame: pd.DataFrame) -> str:
    accuracy = accuracy_score(frame["label"], frame["prediction"])
    macro_f1 = f1_score(frame["label"], frame["prediction"], average="macro")
    return f"acc {accuracy:.3f}  macro-F1 {macro_f1:.3f}"


def summarize(name: str, base: pd.DataFrame, finetuned: pd.DataFrame, by: str) -> None:
    """Print accuracy and macro F1 of both models, overall and per slice of ``by``."""
    print(f"\n{name}: {len(base)} test rows")
    print(f"  {'slice':<18}{'n':>5}   {'base':<27}finetuned")
    slices = [("overall", np.ones(len(base), dtype=bool))]
    slices += [(f"{by}={value}", (base[by] == value).to_numpy()) for value in sorted(base[by].unique())]
    for label, mask in slices:
        print(f"  {label:<18}{mask.sum():>5}   {_scores(base[mask]):<27}{_scores(finetuned[mask])}")
    labels = sorted(base["label"].unique())
    before, after = (recall_score(f["label"], f["prediction"], labels=labels, average=None) for f in (base, finetuned))
    drops = [f"{label}: {b:.3f} -> {a:.3f}" for label, b, a in zip(labels, before, after, strict=True) if a < b]
    print(f"  classes whose recall drops: {', '.join(drops) or 'none'}")


def _regression_scores(frame: pd.DataFrame) -> str:
    mae = mean_absolute_error(frame["label"], frame["prediction"])
    rmse = root_mean_squared_error(frame["label"], frame["prediction"])
    r2 = r2_score(frame["label"], frame["prediction"])
    return f"MAE {mae:5.2f}  RMSE {rmse:5.2f}  R2 {r2:6.3f}"


def summarize_regression(name: str, base: pd.DataFrame, finetuned: pd.DataFrame, by: tuple[str, ...]) -> None:
    """Print MAE, RMSE and R2 of both models, overall and per slice of each column in ``by``."""
    print(f"\n{name}: {len(base)} test rows")
    print(f"  {'slice':<18}{'n':>5}   {'base':<38}finetuned")
    slices = [("overall", np.ones(len(base), dtype=bool))]
    for column in by:
        slices += [(f"{column}={value}", (base[column] == value).to_numpy()) for value in sorted(base[column].unique())]
    for label, mask in slices:
        print(f"  {label:<18}{mask.sum():>5}   {_regression_scores(base[mask]):<38}{_regression_scores(finetuned[mask])}")


def _generation_scores(frame: pd.DataFrame) -> str:
    bleu = sacrebleu.corpus_bleu(frame["output"].tolist(), [frame["reference"].tolist()]).score
    chrf = sacrebleu.corpus_chrf(frame["output"].tolist(), [frame["reference"].tolist()]).score
    perplexity = math.exp(frame["nll"].sum() / frame["n_tokens"].sum())
    return f"BLEU {bleu:5.2f}  chrF {chrf:5.2f}  ppl {perplexity:6.3f}  kept {frame['score_placeholders_kept'].mean():.3f}"


def summarize_generation(name: str, base: pd.DataFrame, finetuned: pd.DataFrame, by: tuple[str, ...]) -> None:
    """Print BLEU, chrF, perplexity and the share of kept placeholders of both versions, overall and per slice."""
    print(f"\n{name}: {len(base)} held-out messages")
    print(f"  {'slice':<20}{'n':>5}   {'base':<52}finetuned")
    slices = [("overall", np.ones(len(base), dtype=bool))]
    for column in by:
        slices += [(f"{column}={value}", (base[column] == value).to_numpy()) for value in sorted(base[column].unique())]
    for label, mask in slices:
        print(f"  {label:<20}{mask.sum():>5}   {_generation_scores(base[mask]):<52}{_generation_scores(finetuned[mask])}")


def write_tabular(out_dir: Path | str, *, verbose: bool = True) -> list[Path]:
    """Write the six CSV files of the classification and regression demos into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    digits_base, digits_finetuned = digits_frames()
    binary_base, binary_finetuned = breast_cancer_frames()
    regression_base, regression_finetuned = diabetes_frames()
    frames = (digits_base, digits_finetuned, binary_base, binary_finetuned, regression_base, regression_finetuned)
    paths = []
    for filename, frame in zip(FILES, frames, strict=True):
        path = out / filename
        text = frame.copy()
        for column in [c for c in frame.columns if c.startswith("prob_") or c == "score"]:
            text[column] = frame[column].map("{:.6f}".format)  # 0.000008, not 8e-06
        if filename.startswith("regression_"):
            text["prediction"] = frame["prediction"].map("{:.2f}".format)  # always two decimals: 151.20, not 151.2
        text.to_csv(path, index=False, lineterminator="\n")
        paths.append(path)
    if verbose:
        summarize("digits (multiclass)", digits_base, digits_finetuned, by="scanner")
        summarize("breast cancer (binary, positive = malignant)", binary_base, binary_finetuned, by="clinic")
        summarize_regression("diabetes (regression)", regression_base, regression_finetuned, by=("sex", "age_band", "bmi_band"))
    return paths


def write_generation(out_dir: Path | str, *, verbose: bool = True) -> list[Path]:
    """Write the two JSON Lines files of the generation demo into ``out_dir``; return their paths.

    Needs Django (its catalogs are the text), a build dependency in ``requirements-dev.txt``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base, finetuned = generation_frames()
    paths = [out / filename for filename in GENERATION_FILES]
    for frame, path in zip((base, finetuned), paths, strict=True):
        write_jsonl(frame, path)
    if verbose:
        summarize_generation("Django messages, English to German (generation)", base, finetuned, by=("catalog", "length"))
    return paths


def main(out_dir: Path | str = DEFAULT_OUT, verbose: bool = True) -> list[Path]:
    """Write every demo file into ``out_dir`` and return their paths."""
    paths = write_tabular(out_dir, verbose=verbose) + write_generation(out_dir, verbose=verbose)
    if verbose:
        print(f"\nwrote {', '.join(str(path) for path in paths)}")
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", type=Path, default=DEFAULT_OUT, help="default: data/demo")
    main(parser.parse_args().out_dir)
