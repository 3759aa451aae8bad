"""Small synthetic files in the original GLUE TSV layouts (never copies of GLUE data): the
tests write them into a temporary GLUE folder."""

from __future__ import annotations

from pathlib import Path

from seedstudy.tasks import MNLI_DEV_HEADER, MNLI_TRAIN_HEADER

WORDS = [
    "a cat sat",
    "the dog ran",
    "birds sing",
    "rain falls",
    "we eat bread",
    "time flies",
    "stars shine",
    "ships sail",
]


def sentence(i: int) -> str:
    return f"{WORDS[i % len(WORDS)]} {i} times"


def _write(path: Path, header, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(header)] if header else []
    lines += ["\t".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


MNLI_LABELS = ["entailment", "neutral", "contradiction"]


def mnli_rows(n: int, dev: bool, offset: int = 0, genre: str = "fiction"):
    rows = []
    for i in range(n):
        label = MNLI_LABELS[(i * 7 + offset) % 3 if i % 4 else 0]
        s1, s2 = sentence(i + offset), sentence(i + offset + 3)
        annotators = [label] * (5 if dev else 1)
        rows.append(
            [
                i,
                1000 + i,
                f"{1000 + i}e",
                genre,
                f"( {s1} )",
                f"( {s2} )",
                f"(ROOT {s1})",
                f"(ROOT {s2})",
                s1,
                s2,
                *annotators,
                label,
            ]
        )
    return rows


def stsb_score(i: int) -> float:
    return round((i * 37 % 51) / 10, 3)  # 0.0 .. 5.0


def write_glue(root: Path, task: str, n_train: int = 24, n_dev: int = 16) -> dict[str, list]:
    """Write the task's files under root/<TASK>/; return the labels written per split (the ids
    of a classification, the scores of STS-B)."""
    root = Path(root)
    labels: dict[str, list] = {}
    if task == "mnli":
        for split, name, n, offset, genre in (
            ("train", "train.tsv", n_train, 0, "fiction"),
            ("dev", "dev_matched.tsv", n_dev, 1, "fiction"),
            ("dev_mismatched", "dev_mismatched.tsv", n_dev, 2, "letters"),
        ):
            rows = mnli_rows(n, dev=split != "train", offset=offset, genre=genre)
            _write(
                root / "MNLI" / name,
                MNLI_DEV_HEADER if split != "train" else MNLI_TRAIN_HEADER,
                rows,
            )
            labels[split] = [MNLI_LABELS.index(row[-1]) for row in rows]
    elif task == "stsb":
        header = (
            "index",
            "genre",
            "filename",
            "year",
            "old_index",
            "source1",
            "source2",
            "sentence1",
            "sentence2",
            "score",
        )
        for split, n in (("train", n_train), ("dev", n_dev)):
            offset = 0 if split == "train" else 100
            rows = [
                [
                    i,
                    "main-news",
                    "MSRvid",
                    "2012test",
                    f"{i:04d}",
                    "none",
                    "none",
                    sentence(i + offset),
                    sentence(i + offset + 1),
                    f"{stsb_score(i + offset):.3f}",
                ]
                for i in range(n)
            ]
            _write(root / "STS-B" / f"{split}.tsv", header, rows)
            labels[split] = [stsb_score(i + offset) for i in range(n)]
    elif task == "qqp":
        header = ("id", "qid1", "qid2", "question1", "question2", "is_duplicate")
        for split, n in (("train", n_train), ("dev", n_dev)):
            offset = 0 if split == "train" else 50
            ys = [int((i + offset) % 3 == 0) for i in range(n)]
            rows = [
                [
                    i,
                    2 * i,
                    2 * i + 1,
                    f"why do {sentence(i + offset)}?",
                    f"how do {sentence(i + offset + 2)}?",
                    y,
                ]
                for i, y in enumerate(ys)
            ]
            _write(root / "QQP" / f"{split}.tsv", header, rows)
            labels[split] = ys
    elif task == "qnli":
        header = ("index", "question", "sentence", "label")
        names = ["entailment", "not_entailment"]
        for split, n in (("train", n_train), ("dev", n_dev)):
            offset = 0 if split == "train" else 9
            ys = [int((i + offset) % 5 < 2) for i in range(n)]
            rows = [
                [i, f"what {sentence(i + offset)}?", sentence(i + offset + 4), names[y]]
                for i, y in enumerate(ys)
            ]
            _write(root / "QNLI" / f"{split}.tsv", header, rows)
            labels[split] = ys
    elif task == "wnli":
        header = ("index", "sentence1", "sentence2", "label")
        for split, n in (("train", n_train), ("dev", n_dev)):
            offset = 0 if split == "train" else 3
            ys = [int((i + offset) % 4 == 0) for i in range(n)]
            rows = [
                [i, sentence(i + offset), f"it {sentence(i + offset)}", y] for i, y in enumerate(ys)
            ]
            _write(root / "WNLI" / f"{split}.tsv", header, rows)
            labels[split] = ys
    else:
        raise ValueError(f"no synthetic files for {task!r}")
    return labels


NEW_TASKS = ("mnli", "stsb", "qqp", "qnli", "wnli")
