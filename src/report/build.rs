//! Building a document's report from its scores: [`build_report`] and the explanation terms.

use super::*;

/// Evidence passages kept per present frame.
pub const EVIDENCE_PER_FRAME: usize = 3;
/// Terms listed per present frame.
pub const TERMS_PER_FRAME: usize = 6;

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Build a document report from an article, its paragraphs and their scores.
pub fn build_report(
    model: &FramingModel,
    article: &Article,
    paras: &[&str],
    s: &DocScores,
) -> DocReport {
    let a = &s.aggregate;
    let paragraphs: Vec<ParagraphReport> = s
        .paragraphs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let best = (0..p.len()).fold(0, |b, c| if p[c] > p[b] { c } else { b });
            ParagraphReport {
                index: i,
                label: Label::from_index(best),
                scores: p.iter().map(|&x| round(x as f64, 4)).collect(),
                narratives: Vec::new(),
                rebutted: Vec::new(),
            }
        })
        .collect();
    let mut frames = a.present.clone();
    if let Some(d) = a.dominant.filter(|d| !frames.contains(d)) {
        frames.push(d);
        frames.sort();
    }
    let mut evidence = BTreeMap::new();
    let mut terms = BTreeMap::new();
    let mut term_lists = top_terms(model, s, &frames).into_iter();
    for &f in &frames {
        let c = f.index();
        let mut cand: Vec<(usize, f32)> = s
            .paragraphs
            .iter()
            .enumerate()
            .filter(|(_, p)| p[c] >= 0.3)
            .map(|(i, p)| (i, p[c]))
            .collect();
        cand.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        cand.truncate(EVIDENCE_PER_FRAME);
        evidence.insert(
            f,
            cand.into_iter()
                .map(|(i, sc)| Evidence {
                    index: i,
                    score: round(sc as f64, 4),
                    text: paras[i].to_string(),
                })
                .collect(),
        );
        terms.insert(f, term_lists.next().unwrap_or_default());
    }
    DocReport {
        codebook: model.codebook().clone(),
        id: article.id.clone(),
        title: article.title.clone(),
        date: article.date.clone(),
        source: article.source.clone(),
        url: article.url.clone(),
        meta: article.extra.clone(),
        shares: a.shares.iter().map(|&x| round(x, 6)).collect(),
        framed_fraction: round(a.framed_fraction, 6),
        dominant: a.dominant,
        present: a.present.clone(),
        paragraphs,
        evidence,
        terms,
        narratives: BTreeMap::new(),
        texts: paras.iter().map(|p| p.to_string()).collect(),
    }
}

/// For each frame in `frames`, the terms whose weight for that frame (relative to the mean over
/// labels) times their value in the document pushed hardest towards it: for every unigram or
/// bigram feature, the sum over the document's rows (in row order) of `value × (weight − mean
/// weight)`; the positive sums, largest first (ties by feature index), shown as words. With an
/// embedding table, a word's push also holds the exact share of the embedding blocks' logits
/// (summed over the document's paragraphs) that its table vector contributes, relative to the
/// mean over labels. Only content words ([`is_content_word`]) are summed: word pieces
/// (`##…`), stopwords, punctuation and special tokens are never reported.
///
/// The push is linear in the feature values (and pooling coefficients), so one pass over the
/// rows (and tokens) sums the values per feature and token in a per-thread table, and the
/// weights are applied once per distinct term, for every frame at once; each frame's head is
/// kept while the pushes stream by. Tokens that cannot push towards any of the frames
/// ([`FramingModel::term_labels`]) are not summed.
fn top_terms(model: &FramingModel, s: &DocScores, frames: &[Label]) -> Vec<Vec<String>> {
    use crate::embed::BLOCKS;
    if frames.is_empty() {
        return Vec::new();
    }
    /// Per-thread sums: `acc[slot]` holds a slot's summed pooling coefficients per kept
    /// embedding block and, last, its summed TF-IDF value, and is zero where bit `slot` of
    /// `seen` is not set. `touched[..n_touched]` lists the slots whose bit is set (both are
    /// cleared at the next call's start, so a document left half done leaves nothing behind).
    #[derive(Default)]
    struct Scratch {
        acc: Vec<[f32; BLOCKS + 1]>,
        seen: Vec<u64>,
        touched: Vec<u32>,
        n_touched: usize,
        /// `push[j * nk + f]`: the push of the j-th touched slot towards the f-th frame.
        push: Vec<f32>,
    }
    thread_local! {
        static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
    }
    const BIGRAM: u64 = 1 << 40;
    const TFIDF: usize = BLOCKS;
    let featurizer = model.featurizer();
    let nf = featurizer.n_features();
    // Slots: TF-IDF features `0..nf`, then the embedding table's tokens `nf..nf + rows`. With
    // a table, a word's unigram feature is summed in its token's slot, so its push is its
    // TF-IDF push plus the share of the embedding logits its table vector contributes.
    let table = model.folded_table().filter(|_| !s.tokens.is_empty());
    let rows = table.map_or(0, |k| k.rows());
    let term_slot = model.term_slots();
    let nk = frames.len();
    let nl = model.codebook().len() as f32;
    SCRATCH.with(|cell| {
        let mut guard = cell.borrow_mut();
        let sc = &mut *guard;
        let slots = nf + rows;
        if sc.acc.len() < slots {
            sc.acc.resize(slots, [0.0; BLOCKS + 1]);
            sc.seen.resize(slots.div_ceil(64), 0);
        }
        for &slot in &sc.touched[..sc.n_touched] {
            sc.seen[slot as usize >> 6] = 0;
            sc.acc[slot as usize] = [0.0; BLOCKS + 1];
        }
        sc.n_touched = 0;
        // room for every slot added to (at most one per summed value), so that the add below
        // can write its slot unconditionally: a slot seen before is overwritten by the next
        let adds = s.rows.iter().map(|(idx, _)| idx.len()).sum::<usize>()
            + table.map_or(0, |k| {
                k.blocks().len() * s.tokens.iter().map(Vec::len).sum::<usize>()
            });
        if sc.touched.len() <= adds {
            sc.touched.resize(adds + 1, 0);
        }
        // (no branch on whether the slot is new: which tokens repeat is not predictable)
        let add = |sc: &mut Scratch, slot: usize, b: usize, x: f32| {
            let (w, bit) = (slot >> 6, 1u64 << (slot & 63));
            let new = sc.seen[w] & bit == 0;
            sc.seen[w] |= bit;
            sc.touched[sc.n_touched] = slot as u32;
            sc.n_touched += new as usize;
            sc.acc[slot][b] += x;
        };
        // Σ value per feature: its push is that sum times (weight − mean weight)
        // only word features explain (the rows keep only them, not the neighbours', document
        // or layout blocks)
        for (idx, val) in s.rows.iter() {
            for (&i, &v) in idx.iter().zip(val) {
                let slot = term_slot[i as usize];
                if slot != NO_TERM {
                    add(sc, slot as usize, TFIDF, v);
                }
            }
        }
        // Σ pooling coefficient per token and kept block: its push is that sum times (the
        // token's folded logits − their mean)
        if let Some(k) = table {
            let nb = k.blocks().len();
            let coefs = k.token_coefficients(&s.tokens);
            // a token that cannot push towards any of the frames is left out (its push would
            // not be positive); the others are the content tokens of the table
            let labels = model.term_labels();
            let wanted = frames.iter().fold(0u8, |m, f| {
                m | 1u8.checked_shl(f.index() as u32).unwrap_or(u8::MAX)
            });
            for (coef, ids) in coefs.chunks_exact(nb.max(1)).zip(&s.tokens) {
                for &t in ids {
                    if labels.get(t as usize).is_some_and(|&m| m & wanted != 0) {
                        for (b, &c) in coef.iter().enumerate() {
                            add(sc, nf + t as usize, b, c);
                        }
                    }
                }
            }
        }
        let Scratch {
            acc,
            touched,
            n_touched,
            push,
            ..
        } = sc;
        let touched = &touched[..*n_touched];
        push.clear();
        push.resize(touched.len() * nk, 0.0);
        let tfidf_push = |i: u32, x: f32, p: &mut [f32]| {
            let w = model.weight(i);
            let mean = w.iter().sum::<f32>() / nl;
            for (o, f) in p.iter_mut().zip(frames) {
                *o += x * (w[f.index()] - mean);
            }
        };
        for (&slot, p) in touched.iter().zip(push.chunks_exact_mut(nk.max(1))) {
            let x = acc[slot as usize];
            if (slot as usize) < nf {
                tfidf_push(slot, x[TFIDF], p);
                continue;
            }
            let t = slot - nf as u32;
            if x[TFIDF] != 0.0 {
                let i = featurizer
                    .unigram(t)
                    .expect("a unigram feature summed here");
                tfidf_push(i, x[TFIDF], p);
            }
            let k = table.expect("token slots need a table");
            let kt = k.token(t).expect("in range");
            for (b, kb) in kt.chunks_exact(k.labels()).enumerate() {
                let mean = kb.iter().sum::<f32>() / nl;
                for (o, f) in p.iter_mut().zip(frames) {
                    *o += x[b] * (kb[f.index()] - mean);
                }
            }
        }
        // the order among equal pushes: by feature index without a table; with one, words
        // (by token id) before bigrams (by feature index)
        let key = |slot: u32| -> u64 {
            if slot as usize >= nf {
                return (slot - nf as u32) as u64;
            }
            match featurizer.kind(slot) {
                FeatureKind::Unigram(t) if table.is_some() => t as u64,
                FeatureKind::Bigram(..) if table.is_some() => BIGRAM | slot as u64,
                _ => slot as u64,
            }
        };
        let tk = model.tokenizer();
        let term = |slot: u32| -> Option<String> {
            if slot as usize >= nf {
                return tk.id_to_token(slot - nf as u32);
            }
            match featurizer.kind(slot) {
                FeatureKind::Unigram(a) => tk.id_to_token(a),
                FeatureKind::Bigram(a, b) => {
                    Some(format!("{} {}", tk.id_to_token(a)?, tk.id_to_token(b)?))
                }
                _ => None,
            }
        };
        // Each frame's head: the positive pushes, largest first, equal pushes by key (keys are
        // distinct, so the order is total and the head is what sorting all would give). It is
        // kept sorted while the pushes stream by; a push below the head's last, when the head
        // is full, is passed over without computing its key.
        let before = |a: &(f32, u64, u32), b: &(f32, u64, u32)| {
            b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).is_lt()
        };
        (0..nk)
            .map(|f| {
                let mut head: Vec<(f32, u64, u32)> = Vec::with_capacity(TERMS_PER_FRAME + 1);
                for (j, &slot) in touched.iter().enumerate() {
                    let p = push[j * nk + f];
                    if p <= 0.0 || p.is_nan() {
                        continue;
                    }
                    if head.len() == TERMS_PER_FRAME && p < head[TERMS_PER_FRAME - 1].0 {
                        continue;
                    }
                    let c = (p, key(slot), slot);
                    let at = head.partition_point(|h| before(h, &c));
                    if at < TERMS_PER_FRAME {
                        head.insert(at, c);
                        head.truncate(TERMS_PER_FRAME);
                    }
                }
                head.iter().filter_map(|x| term(x.2)).collect()
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The explanation terms computed the straightforward way: every content token and word
    /// feature summed (no skipped tokens), every positive push sorted.
    fn reference_terms(model: &FramingModel, s: &DocScores, frames: &[Label]) -> Vec<Vec<String>> {
        let f = model.featurizer();
        let nf = f.n_features();
        let table = model.folded_table().filter(|_| !s.tokens.is_empty());
        let rows = table.map_or(0, |k| k.rows());
        let content = model.content_tokens();
        let is_content = |t: u32| content.get(t as usize).copied().unwrap_or(false);
        let nl = model.codebook().len() as f32;
        let mut acc: BTreeMap<usize, [f32; 4]> = BTreeMap::new();
        let (u, b) = f.word_feature_bounds();
        for (idx, val) in s.rows.iter() {
            for (&i, &v) in idx.iter().zip(val) {
                assert!(i < u || i >= b, "the rows keep only word features");
                let slot = match f.kind(i) {
                    FeatureKind::Unigram(t) if is_content(t) && (t as usize) < rows => {
                        nf + t as usize
                    }
                    FeatureKind::Unigram(t) if is_content(t) => i as usize,
                    FeatureKind::Bigram(a, b) if is_content(a) && is_content(b) => i as usize,
                    _ => continue,
                };
                acc.entry(slot).or_default()[3] += v;
            }
        }
        if let Some(k) = table {
            let nb = k.blocks().len();
            let coefs = k.token_coefficients(&s.tokens);
            for (coef, ids) in coefs.chunks_exact(nb).zip(&s.tokens) {
                for &t in ids
                    .iter()
                    .filter(|&&t| (t as usize) < rows && is_content(t))
                {
                    for (b, &c) in coef.iter().enumerate() {
                        acc.entry(nf + t as usize).or_default()[b] += c;
                    }
                }
            }
        }
        let tk = model.tokenizer();
        frames
            .iter()
            .map(|fr| {
                let mut v: Vec<(f32, u64, String)> = Vec::new();
                for (&slot, x) in &acc {
                    let mut p = 0f32;
                    let tfidf = |i: u32, p: &mut f32| {
                        let w = model.weight(i);
                        let mean = w.iter().sum::<f32>() / nl;
                        *p += x[3] * (w[fr.index()] - mean);
                    };
                    let (key, term) = if slot < nf {
                        tfidf(slot as u32, &mut p);
                        match f.kind(slot as u32) {
                            FeatureKind::Unigram(t) => (
                                if table.is_some() {
                                    t as u64
                                } else {
                                    slot as u64
                                },
                                tk.id_to_token(t),
                            ),
                            FeatureKind::Bigram(a, b) => (
                                if table.is_some() {
                                    (1 << 40) | slot as u64
                                } else {
                                    slot as u64
                                },
                                Some(format!(
                                    "{} {}",
                                    tk.id_to_token(a).unwrap(),
                                    tk.id_to_token(b).unwrap()
                                )),
                            ),
                            _ => unreachable!(),
                        }
                    } else {
                        let t = (slot - nf) as u32;
                        if x[3] != 0.0 {
                            tfidf(f.unigram(t).unwrap(), &mut p);
                        }
                        let k = table.unwrap();
                        for (b, kb) in k.token(t).unwrap().chunks_exact(k.labels()).enumerate() {
                            let mean = kb.iter().sum::<f32>() / nl;
                            p += x[b] * (kb[fr.index()] - mean);
                        }
                        (t as u64, tk.id_to_token(t))
                    };
                    if p > 0.0 {
                        v.push((p, key, term.unwrap()));
                    }
                }
                v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                v.into_iter().take(TERMS_PER_FRAME).map(|x| x.2).collect()
            })
            .collect()
    }

    #[test]
    fn terms_equal_the_straightforward_computation() {
        let Ok((model, _)) = crate::builtin::load() else {
            eprintln!("skipped: no built-in model");
            return;
        };
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/samples");
        let mut docs = 0;
        for e in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            let paras = crate::corpus::paragraphs(&text);
            let s = model.score_document(&paras).unwrap();
            // every frame, and each alone: the skipped tokens depend on the frames asked for
            let all: Vec<Label> = (0..4).map(Label::from_index).collect();
            for frames in std::iter::once(all.clone()).chain(all.iter().map(|&f| vec![f])) {
                assert_eq!(
                    top_terms(&model, &s, &frames),
                    reference_terms(&model, &s, &frames)
                );
            }
            docs += 1;
        }
        assert!(docs >= 3);
    }

    #[test]
    fn terms_are_content_words() {
        for w in [
            "border",
            "asylum",
            "h-1b",
            "covid-19",
            "o'rourke",
            "Deportations",
        ] {
            assert!(is_content_word(w), "{w}");
        }
        for w in [
            "the", "and", "my", "his", ",", ", a", "000", "2019", "a", "##s", "[UNK]", "said", "-x",
        ] {
            assert!(!is_content_word(w), "{w}");
        }
    }
}
