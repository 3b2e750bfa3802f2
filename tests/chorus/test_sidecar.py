"""The organiser's episode sidecar: every field, every format, and one-line errors naming file and field."""
import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from chorus.sidecar import SIDECAR_SUFFIXES, Sidecar, SidecarError, find_sidecar, load_sidecar
from transcripts.notes import load_sidecar as notes_load_sidecar

YAML = """\
show: trainees
title: "Finding your people"
description: Two counsellors on isolation and fees.
season: 2
number: 14
host: [Ann Lee, Bo Chen]
guests:
  - Cy Diaz
  - {name: Di Eng, role: co-host, href: "https://example.org/di"}
language: pt-BR
explicit: no
keywords: peer support, fees
chapters:
  - {start: "00:00", title: Welcome}
  - {start: "00:01:30", title: Supervision, url: "https://example.org/s"}
  - {start: 200.5, title: Fees}
glossary: [BACP, SCoPEd]
resources:
  - https://www.bacp.co.uk/
  - On Being a Therapist (book)
  - {title: Peer groups, url: "https://example.org/peers"}
publish_at: 2026-05-01T09:00:00+01:00
"""

TOML = """\
show = "trainees"
title = "Finding your people"
description = "Two counsellors on isolation and fees."
season = 2
number = 14
host = ["Ann Lee", "Bo Chen"]
guests = ["Cy Diaz", { name = "Di Eng", role = "co-host", href = "https://example.org/di" }]
language = "pt-BR"
explicit = false
keywords = "peer support, fees"
glossary = ["BACP", "SCoPEd"]
resources = ["https://www.bacp.co.uk/", "On Being a Therapist (book)", { title = "Peer groups", url = "https://example.org/peers" }]
publish_at = 2026-05-01T09:00:00+01:00

[[chapters]]
start = "00:00"
title = "Welcome"

[[chapters]]
start = "00:01:30"
title = "Supervision"
url = "https://example.org/s"

[[chapters]]
start = 200.5
title = "Fees"
"""

JSON = json.dumps({
    "show": "trainees", "title": "Finding your people", "description": "Two counsellors on isolation and fees.",
    "season": 2, "number": 14, "host": ["Ann Lee", "Bo Chen"],
    "guests": ["Cy Diaz", {"name": "Di Eng", "role": "co-host", "href": "https://example.org/di"}],
    "language": "pt-BR", "explicit": False, "keywords": "peer support, fees",
    "chapters": [{"start": "00:00", "title": "Welcome"},
                 {"start": "00:01:30", "title": "Supervision", "url": "https://example.org/s"},
                 {"start": 200.5, "title": "Fees"}],
    "glossary": ["BACP", "SCoPEd"],
    "resources": ["https://www.bacp.co.uk/", "On Being a Therapist (book)",
                  {"title": "Peer groups", "url": "https://example.org/peers"}],
    "publish_at": "2026-05-01T09:00:00+01:00",
})


def _write(tmp_path, name: str, text: str):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("name,text", [("talk.yaml", YAML), ("talk.yml", YAML), ("talk.toml", TOML),
                                       ("talk.json", JSON)])
def test_every_field_in_every_format(tmp_path, name, text):
    s = load_sidecar(_write(tmp_path, name, text))
    assert (s.show, s.title, s.description, s.season, s.episode) == (
        "trainees", "Finding your people", "Two counsellors on isolation and fees.", 2, 14)
    assert s.people == [("Ann Lee", "host"), ("Bo Chen", "host"), ("Cy Diaz", "guest"), ("Di Eng", "co-host")]
    assert s.guests[1].href == "https://example.org/di"
    assert (s.language, s.explicit, s.keywords, s.glossary) == ("pt-BR", False, ["peer support", "fees"],
                                                                 ["BACP", "SCoPEd"])
    assert [(c.start, c.title, c.url) for c in s.chapters] == [
        (0.0, "Welcome", None), (90.0, "Supervision", "https://example.org/s"), (200.5, "Fees", None)]
    assert [(r.title, r.url) for r in s.resources] == [
        (None, "https://www.bacp.co.uk/"), ("On Being a Therapist (book)", None),
        ("Peer groups", "https://example.org/peers")]
    assert s.publish_at == datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc)
    assert s.publish_at.utcoffset() == timedelta(hours=1)


def test_the_notes_code_accepts_the_notes_dict(tmp_path):
    """to_notes_dict() is what transcripts.notes checks and uses (read back through its own loader)."""
    d = load_sidecar(_write(tmp_path, "talk.yaml", YAML)).to_notes_dict()
    assert d["hosts"] == [{"name": "Ann Lee", "role": "host"}, {"name": "Bo Chen", "role": "host"}]
    assert set(d) == {"title", "description", "keywords", "hosts", "guests", "chapters", "resources"}
    assert notes_load_sidecar(_write(tmp_path, "notes.json", json.dumps(d))) == d
    assert Sidecar().to_notes_dict() == {}


@pytest.mark.parametrize("people,expected", [
    ({"host": ["Ann Lee", "Bo Chen"]}, [("Ann Lee", "host"), ("Bo Chen", "host")]),
    ({"host": "Ann Lee"}, [("Ann Lee", "host")]),
    ({"host": {"name": "Ann Lee", "role": "co-host"}}, [("Ann Lee", "co-host")]),
    ({"hosts": ["Ann Lee"], "host": "Bo Chen", "guests": "Cy"}, [("Bo Chen", "host"), ("Ann Lee", "host"), ("Cy", "guest")]),
    ({"guests": [" Cy  "]}, [("Cy", "guest")]),
])
def test_a_host_list_is_several_people_never_one_string(people, expected):
    s = Sidecar.model_validate(people)
    assert s.people == expected
    assert all("[" not in name for name, _ in s.people)


@pytest.mark.parametrize("name,text,expected", [
    ("talk.yaml", "guests:\n  - role: guest\n", "talk.yaml: guests.0.name: field required"),
    ("talk.json", '{"title": 5}', "talk.json: title: input should be a valid string (got 5)"),
    ("talk.toml", 'season = "two"', "talk.toml: season: input should be a valid integer"),
    ("talk.toml", 'episode = -1', "talk.toml: episode: input should be greater than or equal to 0"),
    ("talk.toml", 'publish_at = "soon"', "talk.toml: publish_at: not a date and time"),
    ("talk.toml", 'publish_at = 2026-05-01T09:00:00', "talk.toml: publish_at: 2026-05-01T09:00:00 has no time zone"),
    ("talk.yaml", "publish_at: 2026-05-01\n", "talk.yaml: publish_at: a date without a time"),
    ("talk.yaml", "publish_at: 1700000000\n", "talk.yaml: publish_at: not a date and time"),
    ("talk.yaml", "show: ../../etc\n", "talk.yaml: show: '../../etc' must be a slug"),
    ("talk.yaml", "language: English\n", "talk.yaml: language: 'English' is not a BCP 47 tag"),
    ("talk.yaml", "explicit: maybe\n", "talk.yaml: explicit: input should be a valid boolean"),
    ("talk.yaml", "keywords: [fees, 3]\n", "talk.yaml: keywords.1: input should be a valid string"),
    ("talk.yaml", "chapters:\n  - {start: soon, title: A}\n", "talk.yaml: chapters.0.start: chapter start 'soon' is not a time"),
    ("talk.yaml", "chapters:\n  - {start: 5}\n", "talk.yaml: chapters.0.title: field required"),
    ("talk.yaml", "chapters:\n  - {start: 5, title: A}\n  - {start: '0:05', title: B}\n",
     "talk.yaml: chapters: two chapters start at 5 s"),
    ("talk.yaml", "chapters:\n  - {start: 5, title: A, url: 'javascript:alert(1)'}\n",
     "talk.yaml: chapters.0.url: 'javascript:alert(1)' must be a plain http:// or https:// address"),
    ("talk.yaml", "resources:\n  - {title: ''}\n", "talk.yaml: resources.0: a resource needs a title or a url"),
    ("talk.yaml", "guests:\n  - {name: Cy, role: 'host\"><svg onload=alert(1)>'}\n",
     "talk.yaml: guests.0.role: role 'host\"><svg onload=alert(1)>' may hold only letters"),
    ("talk.yaml", "titel: Hi\n", "talk.yaml: unknown field 'titel' (did you mean 'title'?)"),
    ("talk.yaml", "gusts: [Cy]\n", "talk.yaml: unknown field 'gusts' (did you mean 'guests'?)"),
    ("talk.yaml", "guests:\n  - {name: Cy, rol: guest}\n", "talk.yaml: unknown field 'guests.0.rol' (did you mean 'guests.0.role'?)"),
    ("talk.yaml", "title: [unclosed\n", "talk.yaml: not valid YAML: "),
    ("talk.toml", "title = \n", "talk.toml: not valid TOML: "),
    ("talk.json", '{"title": "x",}', "talk.json: not valid JSON: "),
    ("talk.yaml", "- a\n- b\n", "talk.yaml: the sidecar must be a table of fields (key: value), not list"),
])
def test_errors_are_one_line_naming_file_and_field(tmp_path, name, text, expected):
    with pytest.raises(SidecarError) as e:
        load_sidecar(_write(tmp_path, name, text))
    assert str(e.value).startswith(expected) and "\n" not in str(e.value)
    assert isinstance(e.value, ValueError) and e.value.path.name == name


def test_an_unreadable_or_empty_file(tmp_path):
    bad = tmp_path / "talk.json"
    bad.write_bytes(b'{"title": "\xff"}')
    with pytest.raises(SidecarError, match=r"^talk.json: the sidecar is not UTF-8 text$"):
        load_sidecar(bad)
    assert load_sidecar(_write(tmp_path, "empty.yaml", "# nothing yet\n")) == Sidecar()
    with pytest.raises(SidecarError, match=r"^inbox/episode.yaml: cannot read the sidecar"):
        (tmp_path / "inbox").mkdir()
        load_sidecar(tmp_path / "inbox" / "episode.yaml")


def test_find_sidecar_for_files_and_multitrack_folders(tmp_path):
    rec = tmp_path / "talk.final.mp3"
    rec.write_bytes(b"x")
    assert find_sidecar(rec) is None
    side = _write(tmp_path, "talk.final.YML", "title: x\n")
    assert find_sidecar(rec) == side and find_sidecar(side) is None
    _write(tmp_path, "talk.final.json", "{}")
    with pytest.raises(SidecarError, match=r"2 sidecars for one recording \(talk.final.YML, talk.final.json\): keep one"):
        find_sidecar(rec)

    zoom = tmp_path / "zoom.v2"
    zoom.mkdir()
    (zoom / "host.wav").write_bytes(b"x")
    assert find_sidecar(zoom) is None
    inside = _write(zoom, "episode.toml", 'title = "x"\n')
    assert find_sidecar(zoom) == inside
    beside = _write(tmp_path, "zoom.v2.yaml", "title: y\n")
    assert find_sidecar(zoom) == beside  # beside the folder wins over inside it
    assert set(SIDECAR_SUFFIXES) == {".yaml", ".yml", ".toml", ".json"}


def test_every_field_is_documented():
    """docs/configuration.md has a row for every sidecar field (DESIGN rule 8)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    section = text.split("## Episode sidecars", 1)[1]
    for name in Sidecar.model_fields:
        assert f"| `{name}` |" in section, f"sidecar field {name!r} is not in docs/configuration.md"
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert Sidecar.model_validate(yaml.safe_load(example)).people[:2] == [("Ann Lee", "host"), ("Bo Chen", "host")]


def test_soundbites_reach_the_notes_for_the_feed(tmp_path):
    from transcripts import Segment, Transcript, Word
    from transcripts.notes import make_notes

    side = tmp_path / "talk.yaml"
    side.write_text("soundbites:\n  - {start: '00:05', duration: 10, title: Peer groups}\n")
    words = [Word(w, i * 0.5, i * 0.5 + 0.4, 0.9) for i, w in enumerate(("peer groups meet every week " * 12).split())]
    t = Transcript(language="en", duration=40.0, segments=[Segment(0.0, 40.0, " ".join(w.text for w in words),
                                                                   None, words)])
    notes = make_notes(t, None, load_sidecar(side).to_notes_dict())
    assert [(b.start, b.duration, b.title) for b in notes.soundbites] == [(5.0, 10.0, "Peer groups")]
    side.write_text("soundbites:\n  - {start: '00:05', duration: 0}\n")
    with pytest.raises(SidecarError, match="soundbites.0.duration"):
        load_sidecar(side)
