"""Plans: limit checks, feature checks and loading the catalog from a TOML file."""

from __future__ import annotations

from pathlib import Path

import pytest

from postflow.errors import ConfigurationError, LimitReached
from postflow.plans import (
    DEFAULT_PLANS,
    Feature,
    Limit,
    check_limit,
    load_plan_catalog,
    require_feature,
)

PLANS_TOML = """
default = "starter"

[[plans]]
key = "starter"
name = "Starter"
features = []
[plans.limits]
connected_accounts = 1
members = 2

[[plans]]
key = "team"
name = "Team"
features = ["incoming_hooks"]
[plans.limits]
connected_accounts = 5
"""


def test_usage_under_the_limit_passes() -> None:
    assert check_limit(DEFAULT_PLANS, "free", Limit.CONNECTED_ACCOUNTS, usage=1) == 1
    assert check_limit(DEFAULT_PLANS, "free", Limit.CONNECTED_ACCOUNTS, usage=2) == 0


def test_usage_at_the_limit_refuses_one_more() -> None:
    with pytest.raises(LimitReached):
        check_limit(DEFAULT_PLANS, "free", Limit.CONNECTED_ACCOUNTS, usage=3)


def test_refusal_names_the_limit_the_usage_and_the_plan_that_lifts_it() -> None:
    with pytest.raises(LimitReached) as caught:
        check_limit(DEFAULT_PLANS, "free", Limit.SCHEDULED_POSTS_PER_MONTH, usage=30)

    assert caught.value.message == (
        "Your Free plan allows 30 scheduled posts a month and you have used 30. "
        "The Pro plan allows 1000 scheduled posts a month.")
    assert caught.value.details == {"limit": "scheduled_posts_per_month", "allowed": 30,
                                    "usage": 30, "plan": "free", "upgrade_plan": "pro"}


def test_a_media_storage_refusal_speaks_in_bytes_units_and_says_what_was_needed() -> None:
    with pytest.raises(LimitReached) as caught:
        check_limit(DEFAULT_PLANS, "free", Limit.MEDIA_STORAGE_BYTES, usage=1000 * 1024 ** 2,
                    adding=30 * 1024 ** 2)

    assert caught.value.message == (
        "Your Free plan allows 1.0 GiB of stored media and you have used 1000.0 MiB. "
        "This needs 30.0 MiB more. The Pro plan allows 25.0 GiB of stored media.")
    assert caught.value.details["limit"] == "media_storage_bytes"
    assert caught.value.details["plan"] == "free"


def test_refusal_names_unlimited_when_the_lifting_plan_has_no_cap() -> None:
    with pytest.raises(LimitReached) as caught:
        check_limit(DEFAULT_PLANS, "pro", Limit.MEMBERS, usage=15)

    assert "The Business plan allows unlimited members." in caught.value.message


def test_refusal_on_the_largest_plan_offers_no_upgrade() -> None:
    with pytest.raises(LimitReached) as caught:
        check_limit(DEFAULT_PLANS, "business", Limit.WORKSPACES, usage=10)

    assert caught.value.message == "Your Business plan allows 10 workspaces and you have used 10."
    assert caught.value.details["upgrade_plan"] is None


def test_a_limit_of_none_is_unlimited() -> None:
    assert check_limit(DEFAULT_PLANS, "business", Limit.SCHEDULED_POSTS_PER_MONTH,
                       usage=10**9) is None


def test_adding_several_at_once_counts_them_all() -> None:
    with pytest.raises(LimitReached):
        check_limit(DEFAULT_PLANS, "free", Limit.MEMBERS, usage=1, adding=3)


def test_an_included_feature_passes() -> None:
    assert require_feature(DEFAULT_PLANS, "pro", Feature.RECURRING_POSTS).key == "pro"


def test_a_missing_feature_names_the_plan_that_has_it() -> None:
    with pytest.raises(LimitReached) as caught:
        require_feature(DEFAULT_PLANS, "free", Feature.MULTI_STEP_APPROVAL)

    assert caught.value.message == ("Your Free plan does not include multi step approval. "
                                    "It comes with the Pro plan.")
    assert caught.value.details["upgrade_plan"] == "pro"


def test_an_unknown_plan_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="gold"):
        check_limit(DEFAULT_PLANS, "gold", Limit.MEMBERS, usage=0)


def test_no_plans_file_gives_the_default_plans() -> None:
    assert load_plan_catalog(None) is DEFAULT_PLANS


def test_plans_load_from_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "plans.toml"
    path.write_text(PLANS_TOML, encoding="utf-8")

    catalog = load_plan_catalog(path)

    assert catalog.default == "starter"
    assert [p.key for p in catalog.plans] == ["starter", "team"]
    assert catalog.get("starter").limits.connected_accounts == 1
    assert catalog.get("starter").limits.scheduled_posts_per_month is None
    assert catalog.get("team").features == frozenset({Feature.INCOMING_HOOKS})


def test_limits_from_a_file_are_enforced(tmp_path: Path) -> None:
    path = tmp_path / "plans.toml"
    path.write_text(PLANS_TOML, encoding="utf-8")

    with pytest.raises(LimitReached, match="The Team plan allows 5 connected accounts"):
        check_limit(load_plan_catalog(path), "starter", Limit.CONNECTED_ACCOUNTS, usage=1)


def test_a_missing_plans_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"

    with pytest.raises(ConfigurationError, match=r"nope\.toml"):
        load_plan_catalog(path)


@pytest.mark.parametrize("content", [
    "default = \"free\"\n[[plans]\nkey=",                       # not TOML
    "[[plans]]\nkey = \"free\"\n",                              # no name, no limits
    "[[plans]]\nkey = \"a\"\nname = \"A\"\n[plans.limits]\nmembers = -1\n",  # negative limit
], ids=["syntax", "missing-fields", "negative-limit"])
def test_an_invalid_plans_file_names_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "broken-plans.toml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ConfigurationError, match=r"broken-plans\.toml"):
        load_plan_catalog(path)


def test_a_default_plan_missing_from_the_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "orphan-plans.toml"
    path.write_text(PLANS_TOML.replace('default = "starter"', 'default = "gold"'),
                    encoding="utf-8")

    with pytest.raises(ConfigurationError, match=r"orphan-plans\.toml.*gold"):
        load_plan_catalog(path)


def test_a_plans_file_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "binary-plans.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")

    with pytest.raises(ConfigurationError, match=r"binary-plans\.toml"):
        load_plan_catalog(path)


def test_a_plans_path_that_is_a_directory_names_it(tmp_path: Path) -> None:
    path = tmp_path / "plans-dir"
    path.mkdir()

    with pytest.raises(ConfigurationError, match="plans-dir"):
        load_plan_catalog(path)


def test_duplicate_plan_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup-plans.toml"
    path.write_text(PLANS_TOML.replace('key = "team"', 'key = "starter"'), encoding="utf-8")

    with pytest.raises(ConfigurationError, match=r"dup-plans\.toml.*starter"):
        load_plan_catalog(path)


def test_a_plans_file_with_the_old_single_price_is_refused_with_what_to_write(
        tmp_path: Path) -> None:
    path = tmp_path / "plans.toml"
    path.write_text('[[plans]]\nkey = "free"\nname = "Free"\nstripe_price_id = "price_1"\n'
                    "[plans.limits]\n", encoding="utf-8")

    with pytest.raises(ConfigurationError, match="stripe_price_ids"):
        load_plan_catalog(path)


def test_a_plan_is_found_by_any_of_its_prices(tmp_path: Path) -> None:
    path = tmp_path / "plans.toml"
    path.write_text('default = "free"\n[[plans]]\nkey = "free"\nname = "Free"\n[plans.limits]\n'
                    '[[plans]]\nkey = "pro"\nname = "Pro"\ntrial_days = 14\n'
                    'stripe_price_ids = ["price_m", "price_y"]\n[plans.limits]\n',
                    encoding="utf-8")

    catalog = load_plan_catalog(path)

    assert catalog.by_price("price_y") == catalog.get("pro")
    assert catalog.get("pro").trial_days == 14
    assert catalog.by_price("price_other") is None
    assert not catalog.get("free").for_sale


def test_a_price_given_to_two_plans_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plans.toml"
    path.write_text('default = "a"\n[[plans]]\nkey = "a"\nname = "A"\nstripe_price_ids = ["p"]\n'
                    '[plans.limits]\n[[plans]]\nkey = "b"\nname = "B"\n'
                    'stripe_price_ids = ["p"]\n[plans.limits]\n', encoding="utf-8")

    with pytest.raises(ConfigurationError, match="two plans"):
        load_plan_catalog(path)


def test_a_flag_gives_a_feature_the_plan_lacks() -> None:
    plan = require_feature(DEFAULT_PLANS, "free", Feature.RECURRING_POSTS,
                           flags={"recurring_posts": True})
    assert plan.key == "free"


def test_a_flag_takes_away_a_feature_the_plan_has() -> None:
    with pytest.raises(LimitReached, match="turned off for this organization") as caught:
        require_feature(DEFAULT_PLANS, "business", Feature.INCOMING_HOOKS,
                        flags={"incoming_hooks": False})
    assert caught.value.details["upgrade_plan"] is None


def test_a_flag_for_another_feature_leaves_the_plan_to_decide() -> None:
    with pytest.raises(LimitReached, match="does not include recurring posts"):
        require_feature(DEFAULT_PLANS, "free", Feature.RECURRING_POSTS,
                        flags={"incoming_hooks": True})


def test_rate_limits_are_read_from_the_plans_file(tmp_path: Path) -> None:
    path = tmp_path / "plans.toml"
    path.write_text('default = "a"\n[[plans]]\nkey = "a"\nname = "A"\n[plans.limits]\n'
                    '[plans.rate_limits]\nhook = 5\n', encoding="utf-8")
    limits = load_plan_catalog(path).get("a").rate_limits
    assert (limits.api_key, limits.hook, limits.organization) == (None, 5, None)


def test_a_rate_limit_below_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plans.toml"
    path.write_text('default = "a"\n[[plans]]\nkey = "a"\nname = "A"\n[plans.limits]\n'
                    '[plans.rate_limits]\nhook = 0\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not valid"):
        load_plan_catalog(path)
