"""The FAQ for agents: Markdown articles under `[faq] folder`, reloaded when they change,
found by words (`#faq WORDS`, the new-ticket notice) and inserted by name (`#faq NAME`).

An article is `NAME.md` (or `NAME.ru.md` / `NAME.en.md`): a first line `# Title`, an
optional `tags: a, b` line, then the body.
"""
