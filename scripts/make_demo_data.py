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

Sources. All three datasets ship inside scikit-learn; nothing is downloaded. The diabetes data are
from Bradley Efron, Trevor Hastie, Iain Johnstone and Robert Tibshirani (2004), "Least Angle
Regression", Annals of Statistics 32(2), 407-499
(https://www4.stat.ncsu.edu/~boos/var.select/diabetes.html); scikit-learn ships them as
``sklearn.datasets.load_diabetes`` under its BSD-3-Clause licence. ``data/demo/README.md`` repeats this.

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


def main(out_dir: Path | str = DEFAULT_OUT, verbose: bool = True) -> list[Path]:
    """Write the six demo CSV files into ``out_dir`` and return their paths."""
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
        print(f"\nwrote {', '.join(str(path) for path in paths)}")
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", type=Path, default=DEFAULT_OUT, help="default: data/demo")
    main(parser.parse_args().out_dir)
