"""FUNDING.yml parsing: every platform key GitHub documents, and files GitHub would not read."""

import pytest

from app.providers.base import FundingLink
from app.providers.funding import FundingFileError, links_from_mapping, parse_funding_file

EVERY_PLATFORM = b"""\
# These are supported funding model platforms
github: [octocat, surftocat]
patreon: octo
open_collective: octo-collective
ko_fi: octoko
tidelift: npm/octo-package
community_bridge: cloud-foundry
liberapay: octolib
issuehunt: octohunt
otechie: octotech
lfx_crowdfunding: octo-project
polar: octopolar
buy_me_a_coffee: octocoffee
thanks_dev: u/gh/octocat
custom: ["https://octo.example/donate", octo.example/fund]
"""


def test_every_documented_platform_key_becomes_a_link_in_file_order() -> None:
    links = parse_funding_file(EVERY_PLATFORM)

    assert links == (
        FundingLink("github", "https://github.com/sponsors/octocat"),
        FundingLink("github", "https://github.com/sponsors/surftocat"),
        FundingLink("patreon", "https://www.patreon.com/octo"),
        FundingLink("open_collective", "https://opencollective.com/octo-collective"),
        FundingLink("ko_fi", "https://ko-fi.com/octoko"),
        FundingLink("tidelift", "https://tidelift.com/funding/github/npm/octo-package"),
        FundingLink(
            "community_bridge", "https://funding.communitybridge.org/projects/cloud-foundry"
        ),
        FundingLink("liberapay", "https://liberapay.com/octolib"),
        FundingLink("issuehunt", "https://issuehunt.io/r/octohunt"),
        FundingLink("otechie", "https://otechie.com/octotech"),
        FundingLink(
            "lfx_crowdfunding", "https://crowdfunding.lfx.linuxfoundation.org/projects/octo-project"
        ),
        FundingLink("polar", "https://polar.sh/octopolar"),
        FundingLink("buy_me_a_coffee", "https://buymeacoffee.com/octocoffee"),
        FundingLink("thanks_dev", "https://thanks.dev/u/gh/octocat"),
        FundingLink("custom", "https://octo.example/donate"),
        FundingLink("custom", "https://octo.example/fund"),
    )


def test_github_template_placeholders_and_unknown_keys_give_no_links() -> None:
    template = b"""\
github: # Replace with up to 4 GitHub Sponsors-enabled usernames e.g., [user1, user2]
patreon: # Replace with a single Patreon username
custom: # Replace with up to 4 custom sponsorship URLs e.g., ['link1', 'link2']
github_sponsors_typo: octocat
"""
    assert parse_funding_file(template) == ()
    assert parse_funding_file(b"") == ()
    assert parse_funding_file(b"# nothing yet\n") == ()


def test_lists_are_cut_at_four_entries_and_duplicates_dropped() -> None:
    data = b"github: [a, b, c, d, e]\ncustom: [https://x.example, https://x.example]\n"

    links = parse_funding_file(data)

    assert [link.url for link in links] == [
        "https://github.com/sponsors/a",
        "https://github.com/sponsors/b",
        "https://github.com/sponsors/c",
        "https://github.com/sponsors/d",
        "https://x.example",
    ]


def test_a_pasted_address_is_kept_and_unusable_values_are_skipped() -> None:
    data = b"""\
patreon: https://www.patreon.com/octo
ko_fi: "not a name"
custom: ["javascript:alert(1)", "ftp://octo.example", 42]
"""
    assert parse_funding_file(data) == (FundingLink("patreon", "https://www.patreon.com/octo"),)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"github: [octocat\n", "not valid YAML: line 2"),
        (b"github: octo\n  bad: indent\n", "not valid YAML: line 2"),
        (b"- github\n- patreon\n", "the top level is a list, not a mapping"),
        (b"just words", "the top level is a str, not a mapping"),
        (b"\xff\xfe github", "not UTF-8 at byte 0"),
        (b"custom: x\n" * 10_000, "over the 65536 limit"),
    ],
)
def test_files_github_would_not_read_raise_one_line_reasons(data: bytes, reason: str) -> None:
    with pytest.raises(FundingFileError) as raised:
        parse_funding_file(data)

    assert reason in raised.value.reason
    assert "\n" not in raised.value.reason


def test_an_already_parsed_mapping_gives_the_same_links() -> None:
    assert links_from_mapping({"github": "octocat", "custom": None}) == (
        FundingLink("github", "https://github.com/sponsors/octocat"),
    )
