"""The package page: totals, the users table as the API answers it, filters, paging, charts."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import get_args
from urllib.parse import parse_qs, urlsplit

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Dependency, Package, Repository
from app.schemas.package import UsersSort
from app.services.usage_refresh import UsageRefreshService
from app.web.columns import USER_COLUMNS, Column
from app.web.pages import SORT_LABELS
from app.web.templating import templates
from tests.api.v1.dataset import Dataset, day
from tests.paths import manifest_path_id
from tests.web.html import more_href, row_logins, tbody, text


async def _api_logins(web: AsyncClient, params: dict[str, str | int]) -> list[str]:
    response = await web.get("/api/v1/packages/pypi/django/users", params=params)
    assert response.status_code == 200, response.text
    return [item["login"] for item in response.json()["items"]]


async def test_package_page_shows_totals_and_the_users_the_api_returns(
    web: AsyncClient, dataset: Dataset
) -> None:
    response = await web.get("/packages/pypi/django")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    body = text(response.text)
    assert "Who uses django?" in body
    assert "4 organizations" in body
    assert "8 repositories" in body
    assert (
        row_logins(response.text) == await _api_logins(web, {}) == ["acme", "beta", "carol", "Echo"]
    )


async def test_filters_and_sort_from_the_query_string_match_the_api(
    web: AsyncClient, dataset: Dataset
) -> None:
    params: dict[str, str | int] = {
        "language": "python",
        "min_stars": 100,
        "sort": "stars",
        "include_forks": "true",
    }

    response = await web.get("/packages/pypi/django", params=params)

    assert response.status_code == 200
    logins = row_logins(response.text)
    assert logins == await _api_logins(web, params)
    assert logins == ["beta", "acme", "delta", "Echo"]
    assert (
        'id="f-language" name="language" type="text" list="languages" value="python"'
        in response.text
    )
    assert '<option value="stars" selected>' in response.text


async def test_empty_form_fields_count_as_absent(web: AsyncClient, dataset: Dataset) -> None:
    response = await web.get(
        "/packages/pypi/django?min_stars=&language=&pushed_after=&owner_type=&sort=repositories"
    )

    assert response.status_code == 200
    assert row_logins(response.text) == ["acme", "beta", "carol", "Echo"]


async def test_csv_and_json_links_carry_exactly_the_filters(
    web: AsyncClient, dataset: Dataset
) -> None:
    response = await web.get(
        "/packages/pypi/django", params={"kind": ["runtime", "development"], "sort": "name"}
    )
    href = response.text.split('id="csv" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    url = urlsplit(href)

    assert url.path == "/api/v1/packages/pypi/django/users"
    assert parse_qs(url.query) == {
        "kind": ["runtime", "development"],
        "sort": ["name"],
        "format": ["csv"],
    }
    csv = await web.get(href)
    assert csv.status_code == 200
    logins = [line.split(",")[0] for line in csv.text.splitlines()[1:]]
    assert logins == row_logins(response.text)


async def test_outreach_filters_and_readiness_sort_round_trip(
    web: AsyncClient, dataset: Dataset
) -> None:
    params: dict[str, str | int] = {
        "sponsors_others": "false",
        "min_readiness": 0,
        "sort": "readiness",
    }

    response = await web.get("/packages/pypi/django", params=params)

    assert response.status_code == 200
    assert row_logins(response.text) == await _api_logins(web, params)
    assert '<option value="false" selected>No</option>' in response.text
    assert '<option value="readiness" selected>' in response.text
    href = response.text.split('id="csv" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert parse_qs(urlsplit(href).query)["sponsors_others"] == ["false"]


async def test_sort_headers_link_to_each_sort_and_mark_the_current_one(
    web: AsyncClient, dataset: Dataset
) -> None:
    response = await web.get(
        "/packages/pypi/django", params={"sort": "recent", "language": "Python"}
    )

    assert (
        '<th scope="col" aria-sort="descending">'
        '<a href="/packages/pypi/django?language=Python&amp;sort=recent">Last push</a>'
        in response.text
    )
    assert 'href="/packages/pypi/django?language=Python&amp;sort=stars">Stars</a>' in response.text
    assert (
        'href="/packages/pypi/django?language=Python&amp;sort=name">Organization</a>'
        in response.text
    )
    # The default sort leaves the query string.
    assert 'href="/packages/pypi/django?language=Python">Repositories</a>' in response.text


async def test_only_columns_the_api_orders_by_are_sort_links(
    web: AsyncClient, dataset: Dataset
) -> None:
    response = await web.get("/packages/pypi/django", params={"language": "Python"})
    thead = response.text.split('<tbody id="users">', 1)[0].rsplit("<thead>", 1)[1]
    headings = re.findall(r"<th [^>]*>(.*?)</th>", thead, re.S)
    links = {
        re.sub(r"<[^>]+>", "", heading): unescape(href)
        for heading in headings
        for href in re.findall(r'<a href="([^"]+)"', heading)
    }

    assert set(SORT_LABELS) == set(get_args(UsersSort))
    assert sorted(links) == sorted(c.label for c in USER_COLUMNS if c.sort in SORT_LABELS)
    assert len(headings) - len(links) == sum(c.sort is None for c in USER_COLUMNS)
    for label, href in links.items():
        sort = parse_qs(urlsplit(href).query).get("sort", ["repositories"])[0]
        api = await web.get("/api/v1/packages/pypi/django/users", params={"sort": sort})
        assert api.status_code == 200, (label, api.text)
    assert "The headings Organization, Readiness, Repositories, Stars, Last push sort" in text(
        response.text
    )


def test_a_column_whose_sort_the_api_lacks_gets_a_plain_heading() -> None:
    header = templates.env.get_template("macros.html").module.header  # type: ignore[attr-defined]

    made_up = header(Column("kinds", "Kinds", sort="kinds"), "repositories", "/p", {}, SORT_LABELS)
    real = header(
        Column("total_stars", "Stars", sort="stars"), "repositories", "/p", {}, SORT_LABELS
    )

    assert str(made_up) == '<th scope="col">Kinds</th>'
    assert str(real) == '<th scope="col"><a href="/p?sort=stars">Stars</a></th>'


async def test_an_unknown_sort_shows_the_default_order_and_says_so(
    web: AsyncClient, dataset: Dataset
) -> None:
    response = await web.get(
        "/packages/pypi/django", params={"sort": "<i>forks</i>", "min_stars": 100}
    )

    assert response.status_code == 200
    assert row_logins(response.text) == await _api_logins(web, {"min_stars": 100})
    assert (
        "There is no sort “<i>forks</i>”: the organizations are sorted by most repositories "
        "instead. They can be sorted by most repositories, most stars, latest push, "
        "login, a to z, most ready to sponsor."
    ) in text(response.text)
    assert "<i>forks" not in response.text
    assert '<option value="repositories" selected>' in response.text
    href = response.text.split('id="csv" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert parse_qs(urlsplit(href).query) == {"min_stars": ["100"], "format": ["csv"]}


async def test_the_organization_cell_holds_its_name_type_and_website(
    web: AsyncClient, dataset: Dataset
) -> None:
    response = await web.get("/packages/pypi/django")
    rows = re.findall(r"<tr>(.*?)</tr>", tbody(response.text, "users"), re.S)
    cells = dict(zip(row_logins(response.text), rows, strict=True))
    acme = text(cells["acme"].split("</td>", 1)[0])
    carol = text(cells["carol"].split("</td>", 1)[0])

    assert acme == "acme Acme Corp acme.example"
    assert 'href="https://acme.example"' in cells["acme"]
    assert carol == "carol user"
    assert 'data-label="Readiness"' in cells["acme"]


async def test_more_pages_through_every_user_once(web: AsyncClient, dataset: Dataset) -> None:
    first = await web.get("/packages/pypi/django", params={"limit": 1, "sort": "stars"})
    seen = row_logins(first.text)
    href = more_href(first.text, "users")
    while href is not None:
        fragment = await web.get(f"{href}&fragment=users")
        assert fragment.status_code == 200
        assert "<html" not in fragment.text
        seen += row_logins(fragment.text)
        href = more_href(fragment.text, "users")

    assert seen == await _api_logins(web, {"sort": "stars"})
    assert len(seen) == len(set(seen)) == 4


async def test_each_user_links_to_its_repositories_using_the_package(
    web: AsyncClient, dataset: Dataset
) -> None:
    response = await web.get("/packages/pypi/django", params={"min_stars": 100})
    assert 'href="/organizations/acme/uses/pypi/django?min_stars=100"' in response.text

    uses = await web.get("/organizations/acme/uses/pypi/django", params={"min_stars": 100})

    assert uses.status_code == 200
    rows = tbody(uses.text, "uses")
    assert "acme/web" in rows
    assert "acme/api" in rows
    assert "acme/tools" not in rows
    assert "dev/requirements.txt" in rows
    assert "&gt;=5.0" in rows


async def test_charts_are_inline_svg_with_a_text_alternative(
    web: AsyncClient, dataset: Dataset
) -> None:
    response = await web.get("/packages/pypi/django")

    assert response.text.count("<svg viewBox=") == 2
    assert response.text.count('role="img"') == 2
    body = text(response.text)
    assert (
        "Organizations by language of their repositories. Python: 4 organizations; "
        "Go: 1 organizations; Jupyter Notebook: 1 organizations; Unknown: 1 organizations."
    ) in body
    ages = body.split("Repositories by last push.", 1)[1].split(".", 1)[0]
    counts = [int(part.rsplit(":", 1)[1].split()[0]) for part in ages.split(";")]
    assert sum(counts) == 8
    assert "never pushed: 2 repositories" in ages


async def test_charts_count_direct_use_like_the_headline_and_the_default_list(
    web: AsyncClient, dataset: Dataset, session: AsyncSession
) -> None:
    # delta's one live repository has django only in its lockfile, through wagtail.
    repository = Repository(
        organization_id=dataset.organizations["delta"].id,
        name="cms",
        full_name="delta/cms",
        github_url="https://github.com/delta/cms",
        stars=70,
        primary_language="Rust",
        pushed_at=day("2026-11-25"),
    )
    session.add(repository)
    await session.flush()
    django = dataset.packages[("pypi", "django")]
    session.add(
        Dependency(
            repository_id=repository.id,
            package_id=django.id,
            manifest_path_id=await manifest_path_id(session, "poetry.lock"),
            dependency_type="runtime",
            is_direct=False,
            via="wagtail",
        )
    )
    await session.flush()
    await UsageRefreshService(session).refresh_packages([django.id])

    response = await web.get("/packages/pypi/django")

    body = text(response.text)
    assert "4 organizations" in body
    assert "Rust" not in body.split("Organizations by language of their repositories.", 1)[1]
    ages = body.split("Repositories by last push.", 1)[1].split(".", 1)[0]
    assert sum(int(part.rsplit(":", 1)[1].split()[0]) for part in ages.split(";")) == 8


async def test_the_push_age_chart_counts_each_repository_in_its_own_bucket(
    web: AsyncClient, dataset: Dataset, session: AsyncSession
) -> None:
    # One repository of acme per bucket, youngest first, each using a package of its own.
    package = Package(ecosystem="pypi", name="ages", description="the ages package")
    session.add(package)
    await session.flush()
    now = datetime.now(UTC)
    ages = [10, 60, 200, 500, 1000, None, 1000]
    for n, days in enumerate(ages):
        repository = Repository(
            organization_id=dataset.organizations["acme"].id,
            name=f"aged-{n}",
            full_name=f"acme/aged-{n}",
            github_url=f"https://github.com/acme/aged-{n}",
            stars=n,
            primary_language="Python",
            pushed_at=None if days is None else now - timedelta(days=days),
        )
        session.add(repository)
        await session.flush()
        session.add(
            Dependency(
                repository_id=repository.id,
                package_id=package.id,
                manifest_path_id=await manifest_path_id(session, "requirements.txt"),
                dependency_type="runtime",
            )
        )
    await session.flush()
    await UsageRefreshService(session).refresh_packages([package.id])

    response = await web.get("/packages/pypi/ages")

    body = text(response.text)
    counted = body.split("Repositories by last push.", 1)[1].split(".", 1)[0]
    assert counted.strip() == (
        "under 1 month: 1 repositories; 1-3 months: 1 repositories; "
        "3-12 months: 1 repositories; 1-2 years: 1 repositories; "
        "over 2 years: 2 repositories; never pushed: 1 repositories"
    )
    assert "Organizations by language of their repositories. Python: 1 organizations." in body


async def test_a_package_with_a_slash_in_its_name_has_its_page(
    web: AsyncClient, dataset: Dataset
) -> None:
    response = await web.get("/packages/npm/@types/node")

    assert response.status_code == 200
    assert row_logins(response.text) == ["acme"]
