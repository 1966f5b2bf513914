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

Everything is seeded, so ``python scripts/make_demo_data.py [OUT_DIR]`` rewrites byte-identical
files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, recall_score
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
FILES = ("base.csv", "finetuned.csv", "binary_base.csv", "binary_finetuned.csv")


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


def main(out_dir: Path | str = DEFAULT_OUT, verbose: bool = True) -> list[Path]:
    """Write the four demo CSV files into ``out_dir`` and return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    digits_base, digits_finetuned = digits_frames()
    binary_base, binary_finetuned = breast_cancer_frames()
    paths = []
    for filename, frame in zip(FILES, (digits_base, digits_finetuned, binary_base, binary_finetuned), strict=True):
        path = out / filename
        text = frame.copy()
        for column in [c for c in frame.columns if c.startswith("prob_") or c == "score"]:
            text[column] = frame[column].map("{:.6f}".format)  # 0.000008, not 8e-06
        text.to_csv(path, index=False, lineterminator="\n")
        paths.append(path)
    if verbose:
        summarize("digits (multiclass)", digits_base, digits_finetuned, by="scanner")
        summarize("breast cancer (binary, positive = malignant)", binary_base, binary_finetuned, by="clinic")
        print(f"\nwrote {', '.join(str(path) for path in paths)}")
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", type=Path, default=DEFAULT_OUT, help="default: data/demo")
    main(parser.parse_args().out_dir)
