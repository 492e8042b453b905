"""External sources of data; `build_providers` wires them on the process's shared HTTP client."""

import asyncio
import time

import httpx
from redis.asyncio import Redis

from app.core.config import Settings
from app.providers.base import ProviderRegistry
from app.providers.ecosystems import EcosystemsProvider
from app.providers.github import GitHubProvider
from app.providers.http import Clock, RetryPolicy, Sleep, UpstreamClient, ValkeyConditionalCache
from app.providers.ratelimit import HeaderRateLimits


def build_providers(
    settings: Settings,
    http: httpx.AsyncClient,
    cache: Redis | None,
    *,
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.time,
) -> ProviderRegistry:
    """GitHub and ecosyste.ms providers, registered as "github" and "ecosystems"."""
    policy = RetryPolicy.from_settings(settings)
    conditional = (
        ValkeyConditionalCache(cache, settings.http_conditional_cache_ttl)
        if cache is not None
        else None
    )
    token = settings.github_token.get_secret_value() if settings.github_token else None
    github_limits = HeaderRateLimits(settings.provider_rate_limit_max_wait, clock=clock)
    github = GitHubProvider(
        UpstreamClient(
            http,
            policy,
            conditional=conditional,
            namespace=GitHubProvider.cache_namespace(token),
            gate=github_limits,
            sleep=sleep,
            clock=clock,
        ),
        api_url=settings.github_api_url,
        graphql_url=settings.github_graphql_url,
        token=token,
        limits=github_limits,
        tree_max_requests=settings.github_tree_max_requests,
    )
    ecosystems_limits = HeaderRateLimits(
        settings.provider_rate_limit_max_wait,
        limited_statuses=(429,),
        clock=clock,
        provider="ecosystems",
    )
    ecosystems = EcosystemsProvider(
        UpstreamClient(
            http,
            policy,
            conditional=conditional,
            namespace="ecosystems",
            gate=ecosystems_limits,
            sleep=sleep,
            clock=clock,
        ),
        api_url=settings.ecosystems_api_url,
        packages_api_url=settings.ecosystems_packages_api_url,
    )
    registry = ProviderRegistry()
    registry.register("github", github)
    registry.register("ecosystems", ecosystems)
    return registry


__all__ = ["ProviderRegistry", "build_providers"]
