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
    "home": {"zh": "首页", "en": "Home"},
    "back_home": {"zh": "返回首页", "en": "Back to the home page"},
    "session_expired": {"zh": "会话已超时，请重新登录。", "en": "Your session has expired; please sign in again."},
    "csrf_failed": {"zh": "页面已过期（防伪令牌无效），请重新提交。", "en": "The page expired (invalid anti-forgery token); submit again."},
    "roles": {"zh": "我的角色", "en": "My roles"},
    "no_roles": {"zh": "暂无角色", "en": "No roles"},
    "platform_roles": {"zh": "平台角色", "en": "Platform roles"},
    "change_password": {"zh": "修改密码", "en": "Change password"},
    "current_password": {"zh": "当前密码", "en": "Current password"},
    "new_password": {"zh": "新密码", "en": "New password"},
    "confirm_password": {"zh": "再次输入新密码", "en": "New password again"},
    "password_rule": {"zh": "至少 10 位，含大写字母、小写字母、数字、符号中的至少三类，不能包含账号。",
                      "en": "At least 10 characters, three of: lower case, upper case, digits, symbols; not containing the account."},
    "wrong_current_password": {"zh": "当前密码不正确。", "en": "The current password is wrong."},
    "passwords_differ": {"zh": "两次输入的新密码不一致。", "en": "The two new passwords differ."},
    "password_changed": {"zh": "密码已修改；其他设备上的登录已失效。", "en": "Password changed; sessions on other devices have ended."},
    "save": {"zh": "保存", "en": "Save"},
    "audit_trail": {"zh": "审计日志", "en": "Audit trail"},
    "actor": {"zh": "操作人", "en": "Actor"},
    "action": {"zh": "操作", "en": "Action"},
    "object": {"zh": "对象", "en": "Object"},
    "client": {"zh": "来源地址", "en": "Client address"},
    "acting_for": {"zh": "代", "en": "acting for"},
    "from": {"zh": "起始日期", "en": "From"},
    "to": {"zh": "截止日期", "en": "To"},
    "filter": {"zh": "筛选", "en": "Filter"},
    "events_total": {"zh": "事件数", "en": "Events"},
    "verify_chain": {"zh": "校验本单位的哈希链", "en": "Verify this unit's hash chain"},
    "chain_ok": {"zh": "哈希链完整", "en": "Chain intact"},
    "previous": {"zh": "上一页", "en": "Previous"},
    "next": {"zh": "下一页", "en": "Next"},
}


def translator(lang: str) -> Any:
    def t(key: str) -> str:
        entry = MESSAGES.get(key)
        if entry is None:
            return key
        return entry.get(lang) or entry["zh"]

    return t
