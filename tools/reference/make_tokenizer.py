"""Trains small SentencePiece Unigram models like umt5's (nmt_nfkc normalisation), converts them with
transformers to T5 tokenizer folders, and records the ids transformers gives for our test prompts the way
upstream's encode_text asks for them (pad/truncate to 512, </s>, attention mask)."""
import json
import os
import random
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))

WORDS = {
    "en": "a the quiet harbor town dusk boats calm water cozy living room fireplace wooden floor castle hill "
    "dragon forest river mountain snow city night neon street old temple valley fog garden stone bridge "
    "light shadow sunset morning rain window table chair lamp library museum desert ocean island beach".split(),
    "fr": "café crème brûlée naïve façade château forêt rivière montagne neige été hôtel élève où très".split(),
    "de": "straße zürich größe über schön mädchen grün wald fluss berg".split(),
    "ja": ["東京", "夜景", "ネオン", "街並み", "古い", "寺", "山", "雪", "桜", "川", "の", "が", "に", "を", "です"],
    "zh": ["一座", "古老", "的", "中国", "寺庙", "被", "雾气", "笼罩", "山谷", "森林", "城市", "夜晚", "河流", "石桥"],
    "ko": ["서울", "의", "한옥", "마을", "과", "단풍", "산", "바다"],
    "ru": "москва красная площадь зимой лес река город ночь".split(),
    "ar": "مدينة قديمة في الصحراء".split(),
    "hi": "हिमालय की बर्फीली चोटियाँ".split(),
    "sym": ["🏰", "🌈", "🐉", "🔥", "😀", "!", "?", ",", ".", "-", "(", ")", "12", "345", "3.14", "™", "℃", "①"],
}


def corpus(n=6000, seed=0):
    rng = random.Random(seed)
    prompts = json.load(open(os.path.join(HERE, "tokenizer_prompts.json")))["prompts"]
    lines = [p for p in prompts if p.strip()]
    langs = list(WORDS)
    for _ in range(n):
        lang = rng.choice(langs)
        words = [rng.choice(WORDS[lang]) for _ in range(rng.randint(3, 14))]
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), rng.choice(WORDS["sym"]))
        sep = "" if lang in ("ja", "zh") and rng.random() < 0.7 else " "
        line = sep.join(words)
        lines.append(line.capitalize() if rng.random() < 0.3 else line)
    return lines


def train(out_dir, byte_fallback: bool):
    import sentencepiece as spm

    os.makedirs(out_dir, exist_ok=True)
    prefix = os.path.join(out_dir, "spm")
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus()),
        model_prefix=prefix,
        vocab_size=1500,
        model_type="unigram",
        normalization_rule_name="nmt_nfkc",
        character_coverage=0.995,
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        byte_fallback=byte_fallback,
        minloglevel=2,
    )
    return prefix + ".model"


def convert(spm_model, out_dir):
    """spiece.model → a T5 tokenizer folder written by transformers (tokenizer.json etc.)."""
    import transformers

    src = out_dir + "-src"
    os.makedirs(src, exist_ok=True)
    shutil.copy(spm_model, os.path.join(src, "spiece.model"))
    errors = []
    tok = None
    for attempt in ("from_pretrained", "vocab_file"):
        try:
            if attempt == "from_pretrained":
                tok = transformers.T5Tokenizer.from_pretrained(src, extra_ids=100)
            else:
                tok = transformers.T5Tokenizer(vocab_file=os.path.join(src, "spiece.model"), extra_ids=100)
            break
        except Exception as e:  # report every attempt; the next one may work
            errors.append(f"{attempt}: {e!r}")
    if tok is None:
        raise RuntimeError("could not convert the SentencePiece model: " + " | ".join(errors))
    tok.save_pretrained(out_dir)
    shutil.copy(spm_model, os.path.join(out_dir, "spiece.model"))
    shutil.rmtree(src)
    print(f"  tokenizer {out_dir}: {len(tok)} tokens, files {sorted(os.listdir(out_dir))}")
    return out_dir


def record_ids(folders: dict, out_path):
    import transformers

    prompts = json.load(open(os.path.join(HERE, "tokenizer_prompts.json")))["prompts"]
    result = {}
    for name, folder in folders.items():
        # Exactly upstream's call (app.py encode_text) on the class upstream names.
        tok = transformers.T5TokenizerFast.from_pretrained(folder)
        rows = []
        for text in prompts + ["[Static] " + p for p in prompts]:
            enc = tok([text], padding="max_length", max_length=512, truncation=True, add_special_tokens=True,
                      return_attention_mask=True)
            rows.append({"text": text, "input_ids": enc["input_ids"][0], "attention_mask": enc["attention_mask"][0],
                         "tokens": tok.convert_ids_to_tokens(enc["input_ids"][0][: sum(enc["attention_mask"][0])])})
        result[name] = rows
    json.dump(result, open(out_path, "w"), ensure_ascii=False)
    print(f"  wrote {out_path}")


def main(out_root):
    folders = {}
    work = os.path.join(out_root, "_spm")
    for name, bf in (("plain", False), ("bytefallback", True)):
        model = train(os.path.join(work, name), bf)
        folders[name] = convert(model, os.path.join(out_root, "test/fixtures/tokenizer", name))
    record_ids(folders, os.path.join(out_root, "test/fixtures/tokenizer/ids.json"))
    shutil.rmtree(work)
    return folders


if __name__ == "__main__":
    import sys

    main(sys.argv[1])
