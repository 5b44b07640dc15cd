/*
 * quote_phrases.h - the words quote.c looks for, by language: header
 * labels, marker lines, mobile footers, attribution verbs.  Facts about
 * what mail clients write, kept apart from the logic so that a language
 * is added here alone.  Included by quote.c only (each array is static).
 *
 * Matching is ASCII case-insensitive; other bytes must match exactly, so
 * non-ASCII entries are written as the clients write them.
 */
#ifndef CASEMAIL_QUOTE_PHRASES_H
#define CASEMAIL_QUOTE_PHRASES_H

#include <stddef.h>

/* Outlook header block labels: "From:", "Von:", "发件人：". */
static const char *const from_labels[] = {
	"From", "Von", "De", "Från", "Fra", "Van", "Da", "Od", "От", "Від",
	"Lähettäjä", "Feladó", "发件人", "寄件者", "差出人", NULL,
};
static const char *const sent_labels[] = {
	"Sent", "Date", "Gesendet", "Datum", "Envoyé", "Enviado", "Enviada",
	"Enviado el", "Enviado em", "Enviada em", "Fecha", "Skickat",
	"Sendt", "Dato", "Verzonden", "Inviato", "Data", "Wysłano",
	"Wysłane", "Odesláno", "Отправлено", "Дата", "Надіслано",
	"Відправлено", "Lähetetty", "Päivämäärä", "发送时间", "日期",
	"寄件日期", "送信日時", NULL,
};
static const char *const to_labels[] = {
	"To", "Cc", "Subject", "An", "Betreff", "À", "A", "Objet", "Para",
	"Asunto", "Assunto", "Till", "Ämne", "Til", "Emne", "Aan",
	"Onderwerp", "Oggetto", "Do", "DW", "Temat", "Komu", "Předmět",
	"Кому", "Копия", "Копія", "Тема", "Vastaanottaja", "Aihe", "收件人",
	"抄送", "主题", "宛先", "件名", NULL,
};

/* Between the dashes of "-----Original Message-----" and its kin. */
static const char *const original_markers[] = {
	"Original Message", "Original", "Ursprüngliche Nachricht",
	"Originalnachricht", "Message d'origine", "Message d’origine",
	"Mensaje original", "Messaggio originale", "Mensagem original",
	"Oorspronkelijk bericht", "Originalmeddelande", "Opprinnelig melding",
	"Oprindelig meddelelse", "Alkuperäinen viesti", "Wiadomość oryginalna",
	"Původní zpráva", "Исходное сообщение", "Оригінальне повідомлення",
	"原始邮件", "元のメッセージ", NULL,
};

/* Between dashes: Gmail's, Thunderbird's and Yahoo's forward markers. */
static const char *const forward_markers[] = {
	"Forwarded message", "Forwarded", "Weitergeleitete Nachricht",
	"Message transféré", "Mensaje reenviado", "Messaggio inoltrato",
	"Doorgestuurd bericht", "Vidarebefordrat meddelande",
	"Videresendt melding", "Videresendt meddelelse",
	"Wiadomość przekazana", "Przekazana wiadomość",
	"Пересылаемое сообщение", "Пересланное сообщение",
	"Переслане повідомлення", "Mensagem encaminhada",
	"Mensagem reencaminhada", "Välitetty viesti", "Přeposlaná zpráva",
	"转发的邮件", "已转发邮件", "転送されたメッセージ", NULL,
};

/* Apple Mail's forward marker, a line ending in a colon. */
static const char *const forward_openers[] = {
	"Begin forwarded message", "Anfang der weitergeleiteten Nachricht",
	"Anfang der weitergeleiteten E-Mail", "Début du message réexpédié",
	"Début du message transféré", "Inicio del mensaje reenviado",
	"Comienzo del mensaje reenviado", "Inizio messaggio inoltrato",
	"Begin doorgestuurd bericht", "Vidarebefordrat mejl",
	"Videresendt melding", "Videresendt e-mail",
	"Początek przekazywanej wiadomości", "Начало переадресованного сообщения",
	"Начало пересылаемого сообщения", "Початок переадресованого листа",
	"Início da mensagem reencaminhada", "Início da mensagem encaminhada",
	"转发的邮件", "以下为转发的邮件", NULL,
};

static const char *const footer_prefixes[] = {
	"Sent from my ", "Sent from Yahoo Mail", "Sent from Mail for ",
	"Sent from Windows Mail", "Sent from Mailbox", "Sent from Outlook",
	"Sent from Samsung", "Sent via ", "Sent with ", "Get Outlook for ",
	"Get [Outlook for ", "Von meinem ", "Gesendet von meinem ",
	"Gesendet von Yahoo Mail", "Gesendet mit ", "Envoyé de mon ",
	"Envoyé depuis mon ", "Envoyé depuis Yahoo Mail", "Enviado desde mi ",
	"Enviado desde Yahoo Mail", "Enviado do meu ", "Enviado de meu ",
	"Enviado do Yahoo Mail", "Verzonden vanaf mijn ",
	"Verstuurd vanaf mijn ", "Verzonden met ", "Skickat från min ",
	"Sendt fra min ", "Inviato da ", "Inviato dal mio ", "Wysłane z ",
	"Wysłano z ", "Odesláno z ", "Lähetetty ", "Отправлено с ",
	"Отправлено из ", "Надіслано з ", "Відправлено з ", "发自我的",
	"從我的", NULL,
};

/*
 * "Get Outlook for Android" in other languages: up to two of these verbs,
 * "Outlook", a preposition, the platform, and in German and Dutch a verb
 * after it ("Outlook für Android herunterladen").  Lists, not "any word",
 * so that "I installed Outlook for Android" stays.
 */
static const char *const outlook_verbs[] = {
	"Get", "Obtenir", "Télécharger", "Obtener", "Descargar", "Obter", "o",
	"Baixar", "Scarica", "Ottieni", "Hämta", "Skaffa", "Få", "Hent",
	"Pobierz", "aplikację", "Скачайте", "Загрузите", "Получить",
	"Отримати", "Завантажте", "获取", "下载", NULL,
};
static const char *const outlook_preps[] = {
	"for", "für", "pour", "para", "per", "voor", "för", "til", "dla",
	"для", NULL,
};
static const char *const outlook_platforms[] = {"Android", "iOS", NULL};
static const char *const outlook_after[] = {
	"herunterladen", "downloaden", NULL,
};

/* Attribution endings: the verb comes last ("... wrote:"). */
static const char *const final_verbs[] = {
	"wrote", "writes", "schrieb", "a écrit", "escribió", "schreef",
	"geschreven", "skrev", "ha scritto", "escreveu", "pisze", "napisał",
	"napisała", "napisał(a)", "napsal", "napsala", "napsal(a)",
	"kirjoitti", "написал", "написала", "написал(а)", "пише", "писав",
	"написав", "a scris", "írta", "のメッセージ", "写道", "寫道", NULL,
};

/* Verbs that come before the name ("Am ... schrieb Max <m@x.de>:"). */
static const char *const leading_verbs[] = {
	" schrieb ", " skrev ", " schreef ", " a écrit ", " escribió ",
	" написал ", " napisał ", NULL,
};

/* How attributions begin when they are folded over several lines. */
static const char *const openers[] = {
	"On ", "Am ", "Le ", "El ", "Op ", "Den ", "Il ", "Em ", "W dniu ",
	"Dnia ", "At ", "På ", "Dne ", NULL,
};

#endif
