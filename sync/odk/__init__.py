"""Delivery to ODK Central and KoboToolbox over OpenRosa (issue 13).

Modules, by what they do:
  ``encryption``  the ODK XForms encryption spec (per-submission AES key, RSA-OAEP)
  ``instance``    instance XML from answers + the form's primary-instance template
  ``multipart``   OpenRosa submission requests, split under the accepted length
  ``openrosa``    the HTTP client: formList, manifests, HEAD/POST submissions, auth
  ``connection``  the connection record (secrets store) and URL parsing
  ``catalog``     downloading forms and media into the local catalog

No Qt here (import-linter contract); httpx and ``cryptography`` only.
"""
