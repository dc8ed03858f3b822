"""The web app: staff pages, the JSON API and (to come) supervision, portal and modelling, over `engine`."""

from web.app import create_app

__all__ = ["create_app"]
