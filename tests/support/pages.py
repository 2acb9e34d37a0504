"""Test material: the seed articles as pages and feeds (shared with `make demo`)."""

from deploy.local.demo_site import BOILERPLATE, SeedArticle, article_page, atom, rss, seed_articles

__all__ = ["BOILERPLATE", "SeedArticle", "article_page", "atom", "rss", "seed_articles"]
