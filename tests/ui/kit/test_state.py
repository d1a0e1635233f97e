"""shareable.py: parsers, the short state, and the state as URL query text, both ways."""

from __future__ import annotations

import math

import pytest

from trainlab.ui.kit.state import (KNOWN_SHOWN, PAGE_PARAMETERS, encode_value, from_query, parse_bool,
                                   parse_choice, parse_float, parse_int, parse_state, parser_like, short_state,
                                   to_query)


@pytest.mark.parametrize("text, expected", [
    (True, True), (False, False), ("true", True), ("1", True), (" Yes ", True), ("ON", True),
    ("false", False), ("0", False), ("no", False), ("Off", False), (1, True), (0, False)])
def test_parse_bool_reads_url_words_and_typed_values(text, expected):
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["maybe", "", "2", "truee", None])
def test_parse_bool_refuses_other_words(text):
    with pytest.raises(ValueError, match="true or false"):
        parse_bool(text)


def test_parse_int():
    assert parse_int("12") == 12 and parse_int(" -3 ") == -3 and parse_int(7) == 7
    for bad in ("1.5", "ten", "", True, False, None):
        with pytest.raises(ValueError, match="whole number"):
            parse_int(bad)


def test_parse_float():
    assert parse_float("0.01") == 0.01 and parse_float(" 1e-3 ") == 1e-3 and parse_float(3) == 3.0
    assert isinstance(parse_float(3), float)
    for bad in ("abc", "", None, [1]):
        with pytest.raises(ValueError, match="expected a number"):
            parse_float(bad)
    for bad in ("nan", "inf", "-inf", math.inf, math.nan):
        with pytest.raises(ValueError, match="finite"):
            parse_float(bad)


def test_parse_choice_with_a_list_and_a_mapping():
    parse = parse_choice(["relu", "tanh"])
    assert parse(" tanh ") == "tanh"
    with pytest.raises(ValueError, match=r"must be one of relu, tanh, not 'gelu'"):
        parse("gelu")
    by_key = parse_choice({"adam": object(), "sgd": object()})
    assert by_key("sgd") == "sgd"
    with pytest.raises(ValueError, match="adam, sgd"):
        by_key("Adam")  # names are case-sensitive, as the widgets' options are


def test_parser_like_follows_the_type_of_the_default():
    assert parser_like(True) is parse_bool  # a bool is an int too: it must be checked first
    assert parser_like(3) is parse_int
    assert parser_like(0.5) is parse_float
    assert parser_like(None) is parse_float  # an optional number
    as_text = parser_like("relu")
    assert as_text("  tanh ") == "tanh" and as_text(5) == "5"
    with pytest.raises(ValueError):
        parser_like(1)("x")


@pytest.mark.parametrize("value, text", [
    (True, "true"), (False, "false"), (0.1, "0.1"), (1 / 3, "0.333333"), (1234567.0, "1.23457e+06"),
    (1e-5, "1e-05"), (2.0, "2"), (42, "42"), ("adam", "adam")])
def test_encode_value(value, text):
    assert encode_value(value) == text


def test_short_state_keeps_only_what_differs_from_the_defaults():
    defaults = {"lr": 0.001, "depth": 10, "bias": False, "init": "normal", "gain": None}
    values = {"lr": 0.001, "depth": 3, "bias": True, "init": "normal", "gain": None}
    assert short_state(values, defaults) == {"depth": 3, "bias": True}
    # Floats compare to the 6 digits a link keeps: a slider's rounding is not a change.
    assert short_state({"lr": 0.0010000001}, defaults) == {}
    assert short_state({"lr": 0.0011}, defaults) == {"lr": 0.0011}
    # A value without a default is a change; None (e.g. a gain left to the scheme) never is.
    assert short_state({"new": 1, "gain": None}, {}) == {"new": 1}
    assert short_state({}, defaults) == {}


def test_query_round_trip_with_special_characters():
    state = {"preset": "tanh, std 0.01", "note": "a&b=c?d#e/f %", "accent": "μ-law", "bias": True, "lr": 0.05,
             "depth": 3}
    query = to_query(state)
    assert " " not in query and "#" not in query and query.count("&") == len(state) - 1
    assert "preset=tanh%2C+std+0.01" in query
    assert from_query(query) == {key: encode_value(value) for key, value in state.items()}
    assert from_query("?" + query) == from_query(query), "a leading '?' is allowed"


def test_from_query_blank_repeated_and_page_parameters():
    assert from_query("") == {}
    assert from_query("a=&b=2&b=3") == {"a": "", "b": "3"}  # a repeated one: the last
    page = "&".join(f"{name}=x" for name in sorted(PAGE_PARAMETERS))
    assert from_query(f"?{page}&depth=3") == {"depth": "3"}
    assert "theme" in PAGE_PARAMETERS and "voila-template" in PAGE_PARAMETERS


def test_parse_state_parses_what_it_knows_and_reports_the_rest():
    schema = {"depth": parse_int, "bias": parse_bool, "act": parse_choice(["relu", "tanh"])}
    settings, problems = parse_state({"depth": "3", "bias": "yes", "act": "relu"}, schema)
    assert settings == {"depth": 3, "bias": True, "act": "relu"} and problems == []

    settings, problems = parse_state({"depth": "three", "bias": "1", "zap": "1", "act": "gelu"}, schema)
    assert settings == {"bias": True}
    assert problems[0] == "ignored unknown setting 'zap' (known: depth, bias, act)"
    assert problems[1] == "ignored depth='three': expected a whole number, not 'three'"
    assert problems[2].startswith("ignored act='gelu': must be one of relu, tanh")
    assert len(problems) == 3

    _, problems = parse_state({"zap": 1, "zip": 2}, schema)
    assert problems == ["ignored unknown settings 'zap', 'zip' (known: depth, bias, act)"]


def test_parse_state_names_only_the_first_known_settings():
    schema = {f"s{i}": parse_int for i in range(KNOWN_SHOWN + 5)}
    _, (problem,) = parse_state({"other": "1"}, schema)
    assert f"s{KNOWN_SHOWN - 1}, ..." in problem and f"s{KNOWN_SHOWN}" not in problem


def test_parse_choice_among_numbers_matches_their_text():
    parse = parse_choice([64, 128, 256])
    assert parse("128") == 128 and isinstance(parse("128"), int)
    assert parse(256) == 256
    with pytest.raises(ValueError, match="must be one of 64, 128, 256, not '100'"):
        parse("100")
