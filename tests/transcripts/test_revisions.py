"""Issue #12, "Nothing lost": merging two volunteers' saves, word diffs for the history page, renames."""
from __future__ import annotations

from transcripts.alignment import EditParagraph as P
from transcripts.revisions import merge3, rename_speaker, summary, word_diff

BASE = [P("Host", "Welcome back to the show. Today we talk about the garden."),
        P("Speaker 2", "Thanks for having me. We started with six beds and a borrowed shed."),
        P("Host", "How do new volunteers find you?"),
        P("Speaker 2", "Mostly through the library notice board.")]


def _with(ps, i, text=None, speaker=None):
    out = [P(p.speaker, p.text) for p in ps]
    out[i] = P(speaker if speaker is not None else out[i].speaker, text if text is not None else out[i].text)
    return out


def test_edits_of_different_words_merge_even_in_one_paragraph():
    ours = _with(BASE, 1, "Thanks for having me. We started with six raised beds and a borrowed shed.")
    theirs = _with(BASE, 1, "Thank you for having me. We started with six beds and a borrowed shed.")
    theirs = _with(theirs, 3, "Mostly through the library notice board, and by word of mouth.")
    m = merge3(BASE, ours, theirs)
    assert m.conflicts == []
    assert m.paragraphs == [BASE[0], P("Speaker 2", "Thank you for having me. We started with six raised beds and a borrowed shed."),
                            BASE[2], P("Speaker 2", "Mostly through the library notice board, and by word of mouth.")]


def test_edits_of_the_same_words_conflict_and_show_both_versions():
    ours = _with(BASE, 1, "Thanks for having me. We started with eight beds and a borrowed shed.")
    theirs = _with(BASE, 1, "Thanks for having me. We started with sixteen beds and a borrowed shed.")
    theirs = _with(theirs, 3, "Mostly through the library noticeboard.")  # elsewhere: would merge on its own
    m = merge3(BASE, ours, theirs)
    assert m.paragraphs is None
    [c] = m.conflicts
    assert (c.paragraph, c.base, c.ours, c.theirs) == (1, BASE[1].text, ours[1].text, theirs[1].text)
    assert (c.base_speaker, c.ours_speaker, c.theirs_speaker, c.speaker_conflict) == ("Speaker 2",) * 3 + (False,)


def test_an_insertion_at_the_same_place_conflicts():
    m = merge3(BASE, _with(BASE, 2, "How do new volunteers usually find you?"),
               _with(BASE, 2, "How do new volunteers ever find you?"))
    assert m.paragraphs is None and [c.paragraph for c in m.conflicts] == [2]


def test_the_same_edit_on_both_sides_is_not_a_conflict():
    both = _with(BASE, 2, "How do new volunteers find the garden?")
    ours = _with(both, 0, "Welcome back to the show. Today we talk about the community garden.")
    m = merge3(BASE, ours, both)
    assert m.conflicts == [] and m.paragraphs == ours
    assert merge3(BASE, both, both).paragraphs == both


def test_a_rename_everywhere_merges_with_word_edits():
    ours = rename_speaker(BASE, "Speaker 2", "Amira")
    assert [p.speaker for p in ours] == ["Host", "Amira", "Host", "Amira"]
    theirs = _with(BASE, 1, "Thank you for having me. We started with six beds and a borrowed shed.")
    theirs = _with(theirs, 3, "Mostly through the notice board in the library.")
    m = merge3(BASE, ours, theirs)
    assert m.conflicts == []
    assert m.paragraphs == [BASE[0], P("Amira", theirs[1].text), BASE[2], P("Amira", theirs[3].text)]


def test_two_different_speakers_for_one_paragraph_conflict():
    m = merge3(BASE, _with(BASE, 1, speaker="Amira"), _with(BASE, 1, speaker="Ben"))
    [c] = m.conflicts
    assert (c.paragraph, c.ours_speaker, c.theirs_speaker, c.speaker_conflict) == (1, "Amira", "Ben", True)


def test_a_split_paragraph_merges_with_an_edit_elsewhere_in_it():
    ours = BASE[:1] + [P("Speaker 2", "Thanks for having me."), P("Host", "We started with six beds and a borrowed shed.")] \
        + BASE[2:]
    theirs = _with(BASE, 1, "Thanks for having me. We started with six beds and a borrowed garden shed.")
    m = merge3(BASE, ours, theirs)
    assert m.conflicts == []
    assert m.paragraphs[1:3] == [P("Speaker 2", "Thanks for having me."),
                                 P("Host", "We started with six beds and a borrowed garden shed.")]


def test_word_diff_reads_as_the_history_page_shows_it():
    new = rename_speaker(_with(BASE, 2, "How do new volunteers find the garden?"), "Speaker 2", "Amira")
    ops = word_diff(BASE, new)
    changed = [(o.kind, o.old, o.new, o.paragraph, o.speaker) for o in ops if o.kind != "equal"]
    assert changed == [("replace", "Speaker 2", "Amira", 1, True), ("replace", "you?", "the garden?", 2, False),
                       ("replace", "Speaker 2", "Amira", 3, True)]
    assert " ".join(o.new for o in ops if not o.speaker and o.kind != "delete") == " ".join(p.text for p in new)
    assert summary(ops) == "2 words changed, 1 speaker renamed"
    assert summary(word_diff(BASE, BASE)) == "no changes"


def test_word_diff_of_added_and_removed_words_and_paragraphs():
    new = BASE[:2] + [P("Host", "How do volunteers find you, and why do they stay?")]
    ops = word_diff(BASE, new)
    kinds = [(o.kind, o.old, o.new, o.speaker) for o in ops if o.kind != "equal"]
    assert kinds == [("delete", "new", "", False),
                     ("replace", "you? Mostly through the library notice board.", "you, and why do they stay?", False),
                     ("delete", "Speaker 2", "", True)]  # the last two paragraphs joined
    assert summary(ops) == "7 words changed, 1 word removed, 1 paragraph break removed"
    assert summary(word_diff(new, BASE)) == "7 words changed, 1 word added, 1 paragraph break added"


def test_typed_markup_stays_text():
    evil = _with(BASE, 0, 'Welcome <script>alert(1)</script> "back" to the show.')
    m = merge3(BASE, evil, BASE)
    assert m.paragraphs[0].text == evil[0].text  # kept exactly; escaping is the page's job


def _long(rng, paragraphs: int = 60) -> list:
    words = "we meet every month to talk about the garden and the beds that need help".split()
    return [P(rng.choice(["Host", "Guest", None]), " ".join(rng.choice(words) for _ in range(rng.randint(1, 40))))
            for _ in range(paragraphs)]


def _changed(ps, rng) -> list:
    out = [P(p.speaker, p.text) for p in ps]
    for _ in range(rng.randint(0, 3)):
        k, r = rng.randrange(len(out)), rng.random()
        ws = out[k].text.split()
        if r < 0.4:
            ws[rng.randrange(len(ws))] = rng.choice(["fortnight", "shed", "Amira"])
        elif r < 0.55:
            out[k].speaker = rng.choice(["Host", "Amira"])
        elif r < 0.7:
            out.insert(k, P("Host", "a new line"))
        elif r < 0.85 and len(out) > 2:
            del out[k]
            continue
        else:
            ws.append("too")
        out[k].text = " ".join(ws)
    return out


def test_diffs_and_merges_of_long_transcripts_skip_equal_paragraphs_exactly():
    """word_diff and merge3 diff only the paragraphs between the equal ones at both ends (a save of a long
    transcript costs what changed): the steps, merges and conflicts are exactly those of diffing it all."""
    import random

    from transcripts import revisions
    from transcripts._worddiff import flat_opcodes

    def full_hunks(base, other):  # every paragraph diffed
        (ba, wa), (bb, wb) = revisions._split(base), revisions._split(other)
        fb = revisions._flat(other)
        return [(i1, i2, fb[j1:j2]) for tag, i1, i2, j1, j2 in flat_opcodes(wa, wb, (ba, bb)) if tag != "equal"]

    rng = random.Random(12)
    conflicts = merges = 0
    for _ in range(150):
        base = _long(rng)
        ours, theirs = _changed(base, rng), _changed(base, rng)
        assert word_diff(base, ours) == revisions._word_diff(base, ours, -1)
        assert revisions._hunks(base, ours) == full_hunks(base, ours)
        m = merge3(base, ours, theirs)
        conflicts += m.paragraphs is None
        merges += m.paragraphs is not None
    assert conflicts and merges
