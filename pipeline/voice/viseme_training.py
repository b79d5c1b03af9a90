"""Train the audio viseme classifier on piper speech, whose phoneme timing is exact.

The voice is varied (rate, liveliness, pitch by PSOLA, brightness, level, sample rate, a little
noise) so the classifier hears shapes rather than one speaker.  Run
``python -m pipeline.voice.viseme_training`` to rebuild ``data/viseme_classifier.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from pipeline.visemes import Viseme, VisemeKey
from pipeline.voice.alignment_visemes import visemes_from_alignment
from pipeline.voice.mfcc import N_CEPS, FeatureStream
from pipeline.voice.pitch_tempo import psola
from pipeline.voice.prosody import high_shelf
from pipeline.voice.resample import resample
from pipeline.voice.viseme_classifier import DEFAULT_PATH, LABEL_OF, VisemeClassifier, clip_inputs, train

TRAIN_SENTENCES = (
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.",
    "Four hours of steady work faced us.",
    "A large size in stockings is hard to sell.",
    "The boy was there when the sun rose.",
    "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.",
    "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.",
    "A pot of tea helps to pass the evening.",
    "Smoky fires lack flame and heat.",
    "The soft cushion broke the man's fall.",
    "The salt breeze came across from the sea.",
    "The girl at the booth sold fifty bonds.",
    "Welcome back everybody, my name is Joe and I am so happy you are here.",
    "Maybe you would like to buy my beautiful purple bamboo bowls.",
    "Please press the bell button when you move the mop by the pump.",
    "Who knew the blue moon would loom over the zoo so soon?",
    "Why not try the wide white shirt with five bright stripes?",
    "Thank you so much for the follow, that means a lot to me.",
    "We have lovely leather wallets, only a few left in stock.",
    "Oh wow, look at all of you, what a wonderful crowd tonight!",
    "Measure the vase and the velvet box before you ship them.",
    "Each cheap chair matches the beige sheets in the shop.",
    "Father bought a warm woolen coat for the autumn walk.",
    "I think this thing is worth every penny, but judge for yourself.",
    "Bob might bring a map and a bumpy blue bike.",
    "Come and meet my mom, she makes amazing mango muffins.",
    "Sorry, I missed that question, could you ask it again?",
    "Our grand opening sale ends at midnight, so hurry up.",
    "Joy and laughter fill the room when you hum along.",
    "A quiet lamb grazed by the old stone bridge in the valley.",
    "Jump over the puddle and grab the umbrella by the door.",
    "Every morning the baker puts fresh bread in the window.",
    "My brother plays the bass in a small jazz band.",
    "Vivid violet flowers bloom beside the marble fountain.",
    "The museum opens at nine and closes at five on Sundays.",
    "Please keep your pets away from the busy parking lot.",
    "She thought the theater would be packed with people.",
    "Put the pepper back on the top shelf, please.",
    "We measured the pool before we filled it with water.",
    "The sheep moved slowly up the steep green hill.",
    "Bubbles popped as the puppy played in the bath.",
    "Zebras and buffalo wander across the open plain.",
    "Bring a map, a flashlight and a jumper for the night.",
    "I bought a pair of boots for the muddy path.",
    "Blueberries and bananas make a marvellous breakfast.",
    "Yesterday the mayor gave a brief speech at the mall.",
    "Paula wants a pink lamp for her empty bedroom.",
    "Have you ever seen a purple moth in the moonlight?",
    "Amy's umbrella is much bigger than mine.",
    "Build a fort of pillows and blankets in the basement.",
    "Imagine a palm beach with warm amber waves.",
    "The plumber fixed the pipe beneath the kitchen sink.",
    "Big brown bears fish for salmon in the summer.",
    "Mix the flour, butter and milk in a bowl.",
    "Remember to charge your phone before the match.",
    "Oh my, the problem is simple but nobody solved it.",
    "Limited time offer, grab yours before they vanish.",
    "The combo bundle comes with a bag and a bottle.",
    "Members get bonus points on every purchase.",
    "Hello friends, welcome to my evening broadcast.",
    "Buy them now and we ship them tomorrow morning.",
    "Maybe the moon is made of cheese, who knows.",
    "Smooth jazz might help you relax after work.",
    "Pack the baby's bottle, blanket and bib in the bag.",
    "A thousand thanks for the amazing support, everybody.",
    "Mother and I baked plum bread in the afternoon.",
    "Let's pause for a moment and check the comments.",
    "I'm happy to bump this up to the top of the list.",
    "The submarine emerged from the deep black ocean.",
)
HELD_OUT = (
    "The hogs were fed chopped corn and garbage.",
    "Mom made a big plum pie for my birthday, maybe bigger than ever.",
    "Open the crate but don't break the glass.",
    "Buy one, get one free, and remember to smile.",
    "Tom swam past the boat and waved to Pam.",
    "Five people came by to pick up the lamps.",
)


@dataclass(frozen=True, slots=True)
class Variant:
    length_scale: float
    noise: float
    semitones: float
    shelf_db: float
    gain_db: float
    rate: int | None
    noise_db: float


VARIANTS = (
    Variant(1.0, 0.667, 0.0, 0.0, 0.0, None, -90.0),
    Variant(0.85, 0.8, 3.0, 2.0, -6.0, 16000, -70.0),
    Variant(1.2, 0.5, -2.5, -2.0, -12.0, 48000, -75.0),
    Variant(1.0, 0.9, 6.0, 1.0, -3.0, 24000, -65.0),
)


def frame_labels(keys: list[VisemeKey], centres: np.ndarray) -> np.ndarray:
    """Class index of the key covering each centre sample (SILENCE where none does)."""
    labels = np.full(len(centres), LABEL_OF[Viseme.SILENCE], dtype=np.int64)
    for k in keys:
        mask = (centres >= k.start) & (centres < k.end)
        labels[mask] = LABEL_OF[k.viseme]
    return labels


def examples(
    voice,
    sentences: Iterable[str],
    variants: Iterable[Variant],
    start_mean: np.ndarray,
    seed: int = 0,
):
    """(inputs, labels, mean of the final cepstral means) over every sentence x variant."""
    from piper import SynthesisConfig

    rng = np.random.default_rng(seed)
    xs, ys, means = [], [], []
    for variant in variants:
        for text in sentences:
            syn = SynthesisConfig(length_scale=variant.length_scale, noise_scale=variant.noise)
            for chunk in voice.synthesize(text, syn, include_alignments=True):
                sr = chunk.sample_rate
                audio = chunk.audio_float_array.astype(np.float32)
                alignment = [(a.phoneme, int(a.num_samples)) for a in chunk.phoneme_alignments or []]
                keys = visemes_from_alignment(alignment, sr, min_closure_s=0.0, overlap_s=0.0)
                if variant.semitones:
                    audio = psola(audio, sr, pitch_factor=2 ** (variant.semitones / 12))
                audio = high_shelf(audio, sr, variant.shelf_db) * np.float32(10 ** (variant.gain_db / 20))
                audio = audio + rng.normal(0, 10 ** (variant.noise_db / 20), audio.size).astype(np.float32)
                if variant.rate:
                    ratio = variant.rate / sr
                    audio = resample(audio, sr, variant.rate)
                    keys = [VisemeKey(round(k.start * ratio), round(k.end * ratio), k.viseme) for k in keys]
                    sr = variant.rate
                features = FeatureStream(sr, start_mean)
                x, centres = clip_inputs(features, audio)
                xs.append(x)
                ys.append(frame_labels(keys, centres))
                means.append(features.cep_mean.copy())
    return np.concatenate(xs), np.concatenate(ys), np.mean(means, axis=0)


def evaluate(model: VisemeClassifier, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    pred = model.probabilities(x).argmax(axis=1)
    open_set = [LABEL_OF[v] for v in (Viseme.AA, Viseme.E, Viseme.I, Viseme.O, Viseme.U)]
    mbp = LABEL_OF[Viseme.MBP]
    is_open = np.isin(y, open_set)
    return {
        "frame_accuracy": float(np.mean(pred == y)),
        "open_recall": float(np.mean(np.isin(pred[is_open], open_set))),
        "mbp_recall": float(np.mean(pred[y == mbp] == mbp)) if np.any(y == mbp) else 0.0,
        "silence_recall": float(np.mean(pred[y == 0] == 0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="embedded", help="piper voice to learn from")
    parser.add_argument("--epochs", type=int, default=400)
    args = parser.parse_args()
    from pipeline.voice.piper_engine import load_piper_voice, locate_voice

    t0 = time.time()
    voice = load_piper_voice(locate_voice(args.model))
    # First find the typical cepstral mean of speech: the running normalisation starts from it.
    _, _, mean = examples(voice, TRAIN_SENTENCES[:8], VARIANTS[:1], np.zeros(N_CEPS))
    x, y, _ = examples(voice, TRAIN_SENTENCES, VARIANTS, mean)
    model = train(x, y, mean, epochs=args.epochs)
    hx, hy, _ = examples(voice, HELD_OUT, VARIANTS, mean, seed=1)
    report = {"frames": len(y), "train": evaluate(model, x, y), "held_out": evaluate(model, hx, hy)}
    model.save(DEFAULT_PATH)
    report["seconds"] = round(time.time() - t0, 1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
