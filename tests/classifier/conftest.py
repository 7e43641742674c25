"""Inline training mail for the classifier tests (IT requests as ham, spam) and fixtures.

Tests reach these through fixtures rather than imports, which keeps mypy and pytest's
importlib mode in agreement about module names.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from classifier import SpamModel

HAM_TEXTS = [
    (
        "Printer on the 3rd floor is not printing",
        (
            "Hi, the HP printer in room 312 shows a paper jam error but there is no paper stuck. "
            "Can someone look at it? Thanks, Anna"
        ),
    ),
    (
        "Reset my password please",
        (
            "Hello, I forgot my domain password after the holidays and cannot log in to my "
            "workstation. Could you reset it? Regards, Ivan"
        ),
    ),
    (
        "VPN does not connect from home",
        (
            "Since yesterday the VPN client says authentication failed. I am working from home "
            "today. Please help."
        ),
    ),
    (
        "Outlook keeps asking for credentials",
        (
            "Outlook asks for my password every ten minutes since the update. It is very annoying, "
            "can you check my account?"
        ),
    ),
    (
        "New employee laptop",
        (
            "We have a new colleague starting on Monday in accounting, please prepare a laptop and "
            "an email account for her."
        ),
    ),
    (
        "Shared drive access",
        (
            "I need read access to the shared folder Finance/Reports for the quarterly report. My "
            "manager approved it."
        ),
    ),
    (
        "Не работает принтер",
        (
            "Добрый день! Принтер в кабинете 205 не печатает, пишет ошибку замятия бумаги. "
            "Посмотрите, пожалуйста. Спасибо, Мария"
        ),
    ),
    (
        "Сбросить пароль",
        (
            "Здравствуйте, забыл пароль от учётной записи после отпуска, не могу войти в компьютер."
            " Помогите, пожалуйста. Сергей"
        ),
    ),
    (
        "Не подключается VPN",
        "Со вчерашнего дня VPN-клиент выдаёт ошибку аутентификации, работаю из дома. Прошу помочь.",
    ),
    (
        "Доступ к общей папке",
        (
            "Прошу предоставить доступ на чтение к папке Бухгалтерия/Отчёты, руководитель "
            "согласовал. Спасибо."
        ),
    ),
    (
        "Монитор мигает",
        (
            "У меня на рабочем месте мигает монитор и иногда гаснет экран. Можно заменить кабель "
            "или монитор?"
        ),
    ),
    (
        "Установить программу",
        (
            "Нужно установить на мой компьютер 1С и архиватор для работы с документами. Номер "
            "компьютера PC-114."
        ),
    ),
    (
        "Wi-Fi in the meeting room",
        (
            "The wireless network in meeting room B drops every few minutes during calls. Can you "
            "check the access point?"
        ),
    ),
    (
        "Keyboard broken",
        "Several keys on my keyboard stopped working, could I get a replacement? I sit at desk 42.",
    ),
]
SPAM_TEXTS = [
    (
        "You have WON $1,000,000!!!",
        (
            "CONGRATULATIONS!!! You have been selected as the WINNER of our international lottery. "
            "Click here http://192.168.44.7/claim to claim your prize NOW!!!"
        ),
    ),
    (
        "Cheap meds online - 80% OFF",
        (
            "Buy cheap pills online without prescription! Best prices, discreet shipping. Visit "
            "http://cheap-pills.biz/order now! Limited time offer!!!"
        ),
    ),
    (
        "Make money fast from home",
        (
            "Earn $5000 a week working from home! No experience needed! Act now and click "
            "http://easy-money.info/join to start earning $$$"
        ),
    ),
    (
        "Increase your income today",
        (
            "FREE investment secrets revealed! Double your money in 30 days guaranteed!!! Click "
            "http://rich-fast.biz/free"
        ),
    ),
    (
        "Hot singles in your area",
        (
            "Meet hot singles tonight! Click http://dating-xxx.club/meet to see photos. 100% free "
            "registration!!!"
        ),
    ),
    (
        "Your account will be suspended",
        (
            "Dear customer, your bank account will be suspended! Verify your details now at "
            "http://secure-bank-verify.ru.com/login immediately!!!"
        ),
    ),
    (
        "Казино: бонус 500% на первый депозит",
        (
            "Только сегодня! Бонус 500% на первый депозит и 200 фриспинов! Переходи http://casino-"
            "bonus.xyz/ru и выигрывай!!!"
        ),
    ),
    (
        "Заработок от 100 000 рублей в неделю",
        (
            "Простой заработок в интернете без вложений! От 100 000 рублей в неделю! Жми "
            "http://zarabotok-bystro.top сейчас!!!"
        ),
    ),
    (
        "Вы выиграли iPhone!",
        (
            "Поздравляем!!! Вы стали победителем розыгрыша! Заберите свой приз по ссылке "
            "http://priz-iphone.click срочно!!!"
        ),
    ),
    (
        "Дешёвые кредиты без справок",
        (
            "Кредит за 5 минут без справок и поручителей! Одобрение 99%! Оформи на http://credit-"
            "fast.xyz прямо сейчас!!!"
        ),
    ),
    (
        "Lose 20 pounds in 2 weeks",
        (
            "Miracle diet pills! Lose weight fast without exercise! ORDER NOW at http://diet-"
            "miracle.biz and get 50% OFF!!!"
        ),
    ),
    (
        "Rolex replica watches",
        (
            "Luxury replica watches at 90% discount!!! Rolex, Omega, Cartier. Order at "
            "http://replica-watch.biz/sale today!"
        ),
    ),
    (
        "Work from home opportunity!!!",
        (
            "Earn money fast!!! Guaranteed income, no risk, click http://work-home-cash.info to get"
            " started FREE!!!"
        ),
    ),
    (
        "Unclaimed prize notification",
        (
            "FINAL NOTICE: Your prize of $500,000 is waiting! Send your bank details to claim. "
            "http://prize-claim.top"
        ),
    ),
]


def make_mail(
    subject: str, body: str, sender: str = "someone@example.org", **headers: str
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash((subject, body)))}@{sender.rpartition('@')[2]}>"
    msg["Date"] = "Mon, 03 Mar 2025 10:00:00 +0300"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def ham_mail() -> list[bytes]:
    return [make_mail(s, b, f"user{i}@corp.example.com") for i, (s, b) in enumerate(HAM_TEXTS)]


def spam_mail() -> list[bytes]:
    return [make_mail(s, b, f"promo{i}@bulk{i}.biz") for i, (s, b) in enumerate(SPAM_TEXTS)]


@pytest.fixture(scope="session")
def samples() -> tuple[list[bytes], list[bytes]]:
    """The inline (ham, spam) training messages."""
    return ham_mail(), spam_mail()


@pytest.fixture(scope="session")
def trained_model() -> SpamModel:
    model = SpamModel.new()
    model.learn_many([(m, False) for m in ham_mail()] + [(m, True) for m in spam_mail()])
    return model
