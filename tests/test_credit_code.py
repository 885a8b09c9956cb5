import pytest

from award.credit_code import InvalidCreditCode, check_character, normalize_credit_code


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
