"""UI text in Chinese (the users' language) and English (the second locale)."""

from __future__ import annotations

from typing import Any

LOCALES = ("zh", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "app_name": {"zh": "办文 · 数字化综合办公平台", "en": "Banwen · Integrated Office Platform"},
    "login_title": {"zh": "登录", "en": "Sign in"},
    "login": {"zh": "账号", "en": "Account"},
    "password": {"zh": "密码", "en": "Password"},
    "sign_in": {"zh": "登录", "en": "Sign in"},
    "sign_out": {"zh": "退出", "en": "Sign out"},
    "bad_login": {"zh": "账号或密码不正确。", "en": "Wrong account or password."},
    "missing_login": {"zh": "请输入账号和密码。", "en": "Enter your account and password."},
    "network_only": {"zh": "本平台仅在政务网内使用，只传输非涉密文件。",
                     "en": "For the government network only; non-classified documents only."},
    "welcome": {"zh": "欢迎", "en": "Welcome"},
    "unit": {"zh": "单位", "en": "Unit"},
    "level": {"zh": "级别", "en": "Level"},
    "office_code": {"zh": "机关代字", "en": "Office code"},
    "posts": {"zh": "我的岗位", "en": "My posts"},
    "as_a": {"zh": "A 角", "en": "A holder"},
    "as_b": {"zh": "B 角", "en": "B holder"},
    "no_posts": {"zh": "暂无岗位。", "en": "No posts."},
    "versions": {"zh": "本单位配置版本", "en": "Configuration versions of the unit"},
    "version": {"zh": "版本", "en": "Version"},
    "author": {"zh": "发布人", "en": "Author"},
    "time": {"zh": "时间", "en": "Time"},
    "message": {"zh": "说明", "en": "Message"},
    "forms_flows": {"zh": "可用的表单与流程", "en": "Forms and flows"},
    "switch_lang": {"zh": "English", "en": "中文"},
    "not_found": {"zh": "页面不存在。", "en": "Page not found."},
}


def translator(lang: str) -> Any:
    def t(key: str) -> str:
        entry = MESSAGES.get(key)
        if entry is None:
            return key
        return entry.get(lang) or entry["zh"]

    return t
