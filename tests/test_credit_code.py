import random

import pytest

from award.credit_code import (
    ALPHABET,
    InvalidCreditCode,
    check_character,
    is_valid_credit_code,
    make_credit_code,
    normalize_credit_code,
)


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L", " 91350100m000100y43 "])
def test_real_codes_are_valid(code):
    assert normalize_credit_code(code) == code.strip().upper()


@pytest.mark.parametrize(("code", "reason"), [
    ("91350100M000100Y4", "length"),
    ("91350100M000100Y433", "length"),
    ("91350100M0001O0Y43", "character"),  # letter O is never used
    ("91350100M000100Y44", "check"),
    ("91110000600037341K", "check"),
])
def test_bad_codes_name_the_reason(code, reason):
    with pytest.raises(InvalidCreditCode) as error:
        normalize_credit_code(code)
    assert error.value.reason == reason


def test_check_character_uses_weights_three_to_the_i_mod_31():
    # 9*1 + 1*3 + 3*9 + 5*27 + 0*19 + 1*26 + 0*16 + 0*17 + M(21)*20 + 0*29 + 0*25 + 0*13
    # + 1*8 + 0*24 + 0*10 + Y(30)*30 + 4*28 = 1640; 1640 mod 31 = 28; 31 - 28 = 3
    assert check_character("91350100M000100Y4") == "3"


def _reference_check_character(body: str) -> str:
    """GB 32100-2015 written out: weights 3**i mod 31, check = (31 - sum mod 31) mod 31."""
    total = sum(ALPHABET.index(char) * pow(3, i, 31) for i, char in enumerate(body))
    return ALPHABET[(31 - total % 31) % 31]


def test_check_character_agrees_with_the_standard_on_random_codes():
    rng = random.Random(32100)
    for _ in range(5000):
        body = "".join(rng.choice("0123456789") for _ in range(8)) + "".join(rng.choice(ALPHABET) for _ in range(9))
        code = make_credit_code(body)
        assert code[17] == _reference_check_character(body)
        assert normalize_credit_code(code.lower()) == code
        wrong = ALPHABET[(ALPHABET.index(code[17]) + rng.randrange(1, 31)) % 31]
        assert not is_valid_credit_code(code[:17] + wrong)


def test_separators_printed_on_a_licence_are_dropped():
    assert normalize_credit_code("9135 0100-M000 100Y 43") == "91350100M000100Y43"


@pytest.mark.parametrize(("code", "reason"), [
    ("9135010AM000100Y43", "character"),  # a letter among the six digits of the region
    ("91350100M000100Y4!", "character"),
    ("", "length"),
    ("9" * 10_000, "length"),  # refused before it is compacted or cached
])
def test_the_layout_of_gb_32100_is_checked(code, reason):
    with pytest.raises(InvalidCreditCode) as error:
        normalize_credit_code(code)
    assert error.value.reason == reason


@pytest.mark.parametrize("body", ["N2320500MA1C01212", "Y1320500MA1C01212", "A1110000MA1C01212"])
def test_authority_and_type_may_be_letters_as_the_standard_allows(body):
    """stdnum's validate() wants eight digits here; rural collectives (N), "other" (Y) and military
    units (A) have letters, and they are real organizations."""
    code = make_credit_code(body)
    assert normalize_credit_code(code) == code
