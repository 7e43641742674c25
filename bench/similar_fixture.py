"""A fixture of solved tickets for bench/similar.py: ten topics, each asked in several ways
(Russian and English, different word forms, typos, short and long), with held-out
queries written apart from the solved ones."""

from __future__ import annotations

TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "printer": (
        [
            "Принтер не печатает\nОтправляю документ на печать, а принтер молчит.",
            "Принтер HP зажевал бумагу\nЗастряла бумага в принтере на 3 этаже.",
            "Не печатает принтер в бухгалтерии\nЗадания висят в очереди печати.",
            "Printer not printing\nJobs are stuck in the print queue.",
            "Printer offline\nThe office printer shows offline since morning.",
            "Печать не идёт\nпринтеры кэнон в 204 не печатают документы",
        ],
        [
            "Принтеры не печатают, очередь печати застряла",
            "The printer does not print anything, queue is stuck",
            "не могу распечатать документ, принтер выдаёт ошибку",
        ],
    ),
    "vpn": (
        [
            "Не подключается VPN\nИз дома VPN выдаёт ошибку 809.",
            "VPN отваливается каждые 10 минут\nРаботаю удалённо, VPN рвётся.",
            "VPN connection fails\nError 809 when connecting from home.",
            "Cannot connect to VPN\nThe VPN client says the server is unreachable.",
            "Нет доступа к сети через VPN\nПодключение к впн есть, а ресурсы недоступны.",
            "Удаленный доступ не работает\nVPN-клиент не соединяется с сервером.",
        ],
        [
            "VPN не соединяется из дома, ошибка подключения",
            "vpn keeps disconnecting when working remotely",
            "не получается подключиться к впн",
        ],
    ),
    "password": (
        [
            "Забыл пароль\nНе могу войти в компьютер, забыл пароль.",
            "Учётная запись заблокирована\nПосле трёх попыток пароль заблокировали.",
            "Password reset\nI forgot my password and cannot log in.",
            "Account locked out\nMy domain account is locked after password attempts.",
            "Сбросить пароль\nПросьба сбросить пароль от почты.",
            "Истёк срок действия пароля\nСистема требует сменить пароль, но не даёт.",
        ],
        [
            "Заблокировали учётную запись, нужно сбросить пароль",
            "please reset my password, account locked",
            "не помню пароль от входа",
        ],
    ),
    "mail": (
        [
            "Не отправляется почта\nПисьма висят в исходящих Outlook.",
            "Outlook не получает письма\nНовые письма не приходят с утра.",
            "Email not sending\nMessages stay in the Outbox in Outlook.",
            "Mailbox full\nOutlook says my mailbox is over quota.",
            "Переполнен почтовый ящик\nПриходит уведомление о превышении квоты.",
            "Почта не работает\nне могу отправить письмо, ошибка 550",
        ],
        [
            "Письма не уходят, застряли в исходящих",
            "outlook cannot send emails",
            "ящик переполнен, письма не приходят",
        ],
    ),
    "1c": (
        [
            "1С не запускается\nПри запуске 1С Бухгалтерия ошибка лицензии.",
            "Ошибка в 1С\nНе найдена лицензия 1С:Предприятие.",
            "1С тормозит\nБаза 1С очень медленно открывается.",
            "1C license error\n1C Enterprise cannot find a license.",
            "Не открывается база 1С\nОшибка формата базы данных 1С.",
            "Обновить конфигурацию 1С\nНужно обновить 1С:Зарплата.",
        ],
        [
            "1С пишет что не найдена лицензия",
            "1c enterprise does not start, license not found",
            "очень медленно работает 1С бухгалтерия",
        ],
    ),
    "monitor": (
        [
            "Не включается монитор\nМонитор не показывает изображение.",
            "Монитор мигает\nЭкран мерцает и гаснет.",
            "Monitor no signal\nThe screen says no signal.",
            "Второй монитор не определяется\nПодключил второй монитор — нет картинки.",
            "Black screen\nMy display stays black after boot.",
            "Экран не работает\nмонитор LG пишет нет сигнала",
        ],
        [
            "монитор пишет нет сигнала",
            "second monitor is not detected, screen stays black",
            "мерцает экран монитора",
        ],
    ),
    "wifi": (
        [
            "Не работает Wi-Fi\nНоутбук не видит беспроводную сеть.",
            "Слабый сигнал вайфай\nВ переговорной Wi-Fi постоянно пропадает.",
            "Wi-Fi not connecting\nLaptop cannot join the office wireless network.",
            "Guest Wi-Fi password\nWhat is the password for the guest wifi?",
            "Нет подключения к беспроводной сети\nWi-Fi подключен без доступа к интернету.",
            "Пропадает Wi-Fi\nбеспроводная сеть отключается каждые пять минут",
        ],
        [
            "ноутбук не подключается к вайфаю",
            "wireless network keeps dropping in the meeting room",
            "Wi-Fi есть, а интернета нет",
        ],
    ),
    "access": (
        [
            "Нужен доступ к общей папке\nПрошу дать доступ к папке \\\\fs\\finance.",
            "Нет прав на папку\nНе открывается сетевая папка отдела, нет доступа.",
            "Access to shared folder\nPlease grant me access to the Sales share.",
            "Permission denied on network drive\nI cannot open the team drive.",
            "Предоставить доступ к диску\nНовому сотруднику нужен доступ к сетевому диску.",
            "Доступ к сетевому ресурсу\nотказано в доступе к папке проекта",
        ],
        [
            "прошу предоставить доступ к сетевой папке",
            "need permission for the shared network drive",
            "отказано в доступе к общей папке отдела",
        ],
    ),
    "software": (
        [
            "Установить программу\nПрошу установить Adobe Reader.",
            "Нужна установка ПО\nУстановите, пожалуйста, 7-Zip и Notepad++.",
            "Install software\nPlease install Zoom on my laptop.",
            "Software installation request\nI need Visual Studio Code installed.",
            "Установка программы на компьютер\nнужно поставить программу для сканирования",
            "Поставить браузер\nУстановите Google Chrome.",
        ],
        [
            "прошу установить программу на мой компьютер",
            "please install this software on my pc",
            "нужно поставить Adobe Acrobat",
        ],
    ),
    "phone": (
        [
            "Не работает телефон\nIP-телефон не звонит, нет гудка.",
            "Телефон не регистрируется\nНа телефоне Cisco надпись «регистрация».",
            "Desk phone not working\nNo dial tone on my IP phone.",
            "Переадресация звонков\nНастройте переадресацию на мобильный.",
            "Voicemail setup\nHow do I set up voicemail on my desk phone?",
            "Нет гудка\nстационарный телефон молчит",
        ],
        [
            "на телефоне нет гудка",
            "my ip phone shows registering and does not work",
            "настроить переадресацию звонков",
        ],
    ),
}
