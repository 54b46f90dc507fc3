#!/usr/bin/env python3
"""Write a synthetic, HubSpot-style deal export for Quarrymark (an invented company).

Everything produced here is invented: the company, its owners, its customers, every contact and
every note. The shape imitates a HubSpot "export all deals" file from a European portal:

* UTF-8 with a BOM, CRLF line ends, ``;`` as the delimiter, RFC-4180 quoting (quotes doubled,
  newlines inside quoted notes);
* HubSpot internal stage values (``appointmentscheduled`` ... ``closedwon``/``closedlost``);
* amounts in a German/Dutch locale (``12.500,00 €``), blank on early open deals;
* ``Create Date``/``Date entered current stage``/``Last Activity Date`` as ISO-8601 UTC
  (``2024-03-01T10:22:00Z``), ``Close Date`` as ``dd.mm.yyyy``;
* about twenty unusable rows (no Record ID, or a stage nobody recognises).

It also writes the owners (team) table and the companies table. Deterministic: same seed, same
bytes. Standard library only, no network.

Usage:  python generate_opportunities.py [OUTPUT_DIR]      (default: the folder of this script)
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import os
import random

SEED = 20250613
AS_OF = dt.datetime(2025, 6, 13, 16, 45, tzinfo=dt.timezone.utc)  # export timestamp
START = dt.datetime(2022, 7, 1, tzinfo=dt.timezone.utc)
UTC = dt.timezone.utc

DIALECT = dict(delimiter=";", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")

OPEN_STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
               "decisionmakerboughtin", "contractsent"]
WON, LOST = "closedwon", "closedlost"
# median days in each open stage, and the chance of being lost while in it
STAGE_MEDIAN_DAYS = [10, 18, 50, 21, 16]
LOSS_NEW = [0.33, 0.30, 0.26, 0.22, 0.12]
LOSS_EXISTING = [0.10, 0.08, 0.08, 0.06, 0.04]

OPP_HEADER = ["Record ID", "Deal Name", "Pipeline", "Deal Stage", "Deal Type", "Amount",
              "Create Date", "Close Date", "Date entered current stage", "Deal owner",
              "Associated Company", "Last Activity Date", "Next step", "Closed lost reason",
              "Deal Description"]

# --------------------------------------------------------------------------------------------
# Team
# --------------------------------------------------------------------------------------------

MANAGERS = [
    # manager, team, default region
    ("Siobhan Carrick", "Field Sales UK & Ireland", "UK & Ireland"),
    ("Pieter Langeveld", "Field Sales Benelux", "Benelux"),
    ("Katrin Oberholzer", "Field Sales DACH", "DACH"),
    ("Tomasz Wierzbicki", "Field Sales Nordics & CEE", "Nordics & CEE"),
]

REPS = [
    # name, manager index, region, start date, annual quota (EUR)
    ("Callum Reid", 0, "UK & Ireland", "2021-04-12", 640000),
    ("Priya Natarajan", 0, "UK & Ireland", "2021-09-06", 680000),
    ("Ewan Falconer", 0, "UK & Ireland", "2022-02-14", 600000),
    ("Hannah Oyelaran", 0, "UK & Ireland", "2022-10-03", 560000),
    ("Declan Moriarty", 0, "UK & Ireland", "2023-03-20", 540000),
    ("Sophie Brannigan", 0, "UK & Ireland", "2024-05-13", 480000),
    ("Marcus Liddell", 0, "UK & Ireland", "2025-02-03", 220000),
    ("Daan Mulder", 1, "Benelux", "2021-01-11", 620000),
    ("Sanne Koopman", 1, "Benelux", "2021-11-01", 600000),
    ("Bram Verhoeven", 1, "Benelux", "2022-06-07", 560000),
    ("Inge Claes", 1, "Benelux", "2023-01-09", 520000),
    ("Youssef El Amrani", 1, "Benelux", "2023-09-04", 500000),
    ("Mieke Post", 1, "Benelux", "2024-09-02", 420000),
    ("Lukas Brenner", 2, "DACH", "2021-06-01", 700000),
    ("Johanna Feldmann", 2, "DACH", "2022-01-10", 660000),
    ("Matthias Egger", 2, "DACH", "2022-08-15", 600000),
    ("Selin Aydin", 2, "DACH", "2023-04-03", 560000),
    ("Felix Hauptmann", 2, "DACH", "2024-01-08", 500000),
    ("Theresa Wimmer", 2, "DACH", "2024-11-04", 380000),
    ("Agnieszka Nowicka", 3, "CEE", "2021-10-04", 520000),
    ("Erik Lindqvist", 3, "Nordics", "2022-03-01", 580000),
    ("Sara Holmberg", 3, "Nordics", "2022-09-05", 560000),
    ("Jakub Dvořák", 3, "CEE", "2023-02-06", 480000),
    ("Mikkel Sørensen", 3, "Nordics", "2023-10-02", 500000),
    ("Ola Brekke", 3, "Nordics", "2025-03-03", 200000),
]

# Reps who have left: they still own old closed deals in the export but are not on the roster.
DEPARTED = [
    ("Graham Pettit", "UK & Ireland", "2021-03-01", "2024-03-29"),
    ("Annelies de Bruin", "Benelux", "2021-05-03", "2023-11-30"),
]

REGION_COUNTRIES = {
    "UK & Ireland": [("United Kingdom", 0.86), ("Ireland", 0.14)],
    "Benelux": [("Netherlands", 0.66), ("Belgium", 0.30), ("Luxembourg", 0.04)],
    "DACH": [("Germany", 0.72), ("Austria", 0.16), ("Switzerland", 0.12)],
    "Nordics": [("Sweden", 0.42), ("Norway", 0.30), ("Denmark", 0.18), ("Finland", 0.10)],
    "CEE": [("Poland", 0.70), ("Czechia", 0.30)],
}

CITIES = {
    "United Kingdom": ["Leeds", "Doncaster", "Bristol", "Coventry", "Glasgow", "Wakefield", "Preston",
                       "Milton Keynes", "Stoke-on-Trent", "Reading", "Warrington", "Peterborough",
                       "Swindon", "Cardiff", "Newcastle upon Tyne", "Norwich"],
    "Ireland": ["Dublin", "Cork", "Limerick", "Athlone", "Naas", "Galway"],
    "Netherlands": ["Utrecht", "Rotterdam", "Zwolle", "Tilburg", "Almere", "Nijmegen", "Amersfoort",
                    "Groningen", "Breda", "Apeldoorn"],
    "Belgium": ["Antwerpen", "Gent", "Hasselt", "Liège", "Mechelen", "Namur", "Kortrijk"],
    "Luxembourg": ["Luxembourg", "Esch-sur-Alzette"],
    "Germany": ["Dortmund", "Köln", "Hannover", "Leipzig", "Nürnberg", "Stuttgart", "Bremen",
                "Mannheim", "Kassel", "Augsburg", "Bielefeld", "Magdeburg", "Würzburg"],
    "Austria": ["Linz", "Graz", "Salzburg", "St. Pölten", "Wien"],
    "Switzerland": ["Winterthur", "Luzern", "St. Gallen", "Aarau", "Bern"],
    "Sweden": ["Göteborg", "Västerås", "Örebro", "Uppsala", "Malmö", "Jönköping"],
    "Norway": ["Drammen", "Bergen", "Trondheim", "Stavanger", "Lillestrøm"],
    "Denmark": ["Aarhus", "Odense", "Vejle", "Aalborg"],
    "Finland": ["Tampere", "Vantaa", "Oulu", "Turku"],
    "Poland": ["Poznań", "Wrocław", "Łódź", "Katowice", "Gdańsk", "Kraków", "Lublin"],
    "Czechia": ["Brno", "Ostrava", "Plzeň", "Olomouc", "Praha"],
}

# --------------------------------------------------------------------------------------------
# Invented company names
# --------------------------------------------------------------------------------------------

STEM_A = {
    "en": ["Ash", "Brem", "Cald", "Dun", "Fen", "Hal", "Kes", "Lang", "Mar", "Nor", "Oak", "Pen",
           "Ring", "Stan", "Thorn", "Wex", "Bren", "Old", "Whit", "Crag", "Hol", "Tarn", "Bar", "Gil"],
    "nl": ["Oost", "Wester", "Zuider", "Bakke", "Hooge", "Linde", "Molen", "Brug", "Dijk", "Veen",
           "Kamp", "Heuvel", "Zand", "Klei", "Berk", "Elst"],
    "de": ["Alt", "Berg", "Eich", "Fels", "Hohen", "Kron", "Lind", "Ober", "Stein", "Wald", "Hal",
           "Roth", "Schön", "Kalk", "Tann", "Mühl"],
    "nordic": ["Kall", "Berg", "Sand", "Ek", "Fjäll", "Norr", "Lund", "Holm", "Strand", "Björk",
               "Vik", "Dal"],
    "cee": ["Wola", "Brzeg", "Kamień", "Lipa", "Dąb", "Olsza", "Zbor", "Hradec", "Ostro", "Libor",
            "Jasień", "Krzem"],
}
STEM_B = {
    "en": ["wick", "ford", "more", "ley", "ton", "dale", "brook", "gate", "ham", "stead", "acre",
           "marsh", "field", "bury"],
    "nl": ["veld", "hof", "berg", "dam", "horst", "wijk", "broek", "beek", "stede", "ven"],
    "de": ["bach", "berg", "feld", "hof", "mann", "au", "stedt", "born", "egg", "brunn"],
    "nordic": ["sjö", "by", "å", "näs", "vik", "torp", "stad", "heim", "rud", "gård"],
    "cee": ["ski", "ów", "ice", "any", "ec", "ov", "ín", "ka"],
}
SUFFIX = {
    "United Kingdom": ["Plant Hire Ltd", "Civils Ltd", "Groundworks Ltd", "Demolition Ltd",
                       "Access Hire Ltd", "Contractors Ltd", "Tool Hire Ltd", "Surfacing Ltd",
                       "Utilities Ltd", "Aggregates Ltd"],
    "Ireland": ["Plant Hire Ltd", "Civil Engineering Ltd", "Groundworks Ltd", "Contractors Ltd"],
    "Netherlands": ["Grondwerken B.V.", "Verhuur B.V.", "Infra B.V.", "Materieel B.V.", "Sloopwerken B.V.",
                    "Wegenbouw B.V."],
    "Belgium": ["Grondwerken BV", "Verhuur NV", "Infra BV", "Location SA", "Terrassements SRL"],
    "Luxembourg": ["Constructions S.à r.l.", "Location S.A."],
    "Germany": ["Tiefbau GmbH", "Baumaschinen GmbH", "Mietpark GmbH", "Bau GmbH & Co. KG",
                "Erdbau GmbH", "Rückbau GmbH", "Straßenbau GmbH"],
    "Austria": ["Tiefbau GmbH", "Baumaschinen GmbH", "Bau GesmbH"],
    "Switzerland": ["Tiefbau AG", "Baumaschinen AG", "Bau AG"],
    "Sweden": ["Entreprenad AB", "Maskinuthyrning AB", "Schakt AB", "Bygg AB"],
    "Norway": ["Anlegg AS", "Maskinutleie AS", "Entreprenør AS"],
    "Denmark": ["Entreprise A/S", "Maskinudlejning A/S", "Anlæg ApS"],
    "Finland": ["Maanrakennus Oy", "Konevuokraamo Oy"],
    "Poland": ["Sp. z o.o.", "Budownictwo Sp. z o.o.", "Wynajem Maszyn Sp. z o.o."],
    "Czechia": ["s.r.o.", "Stavby s.r.o.", "Půjčovna strojů s.r.o."],
}
LANG = {"United Kingdom": "en", "Ireland": "en", "Netherlands": "nl", "Belgium": "nl",
        "Luxembourg": "de", "Germany": "de", "Austria": "de", "Switzerland": "de",
        "Sweden": "nordic", "Norway": "nordic", "Denmark": "nordic", "Finland": "nordic",
        "Poland": "cee", "Czechia": "cee"}

INDUSTRY_BY_SUFFIX = [
    ("Plant Hire", "Plant hire"), ("Tool Hire", "Tool & small plant hire"),
    ("Access Hire", "Access platform hire"), ("Verhuur", "Plant hire"), ("Location", "Plant hire"),
    ("Mietpark", "Plant hire"), ("Maskinuthyrning", "Plant hire"), ("Maskinutleie", "Plant hire"),
    ("Maskinudlejning", "Plant hire"), ("Konevuokraamo", "Plant hire"), ("Wynajem", "Plant hire"),
    ("Půjčovna", "Plant hire"), ("Materieel", "Plant hire"), ("Baumaschinen", "Plant hire"),
    ("Demolition", "Demolition"), ("Sloop", "Demolition"), ("Rückbau", "Demolition"),
    ("Surfacing", "Road surfacing"), ("Wegenbouw", "Road surfacing"), ("Straßenbau", "Road surfacing"),
    ("Aggregates", "Aggregates & quarrying"), ("Utilities", "Utilities contractor"),
    ("Groundworks", "Groundworks"), ("Grondwerken", "Groundworks"), ("Erdbau", "Groundworks"),
    ("Schakt", "Groundworks"), ("Terrassements", "Groundworks"), ("Maanrakennus", "Groundworks"),
]

FIRST = {
    "en": ["James", "Sarah", "Gareth", "Nicola", "Liam", "Claire", "Rob", "Aoife", "Stuart", "Fiona",
           "Darren", "Rachel", "Craig", "Siân", "Niall", "Kerry", "Tom", "Amrit", "Neil", "Joanne"],
    "nl": ["Jeroen", "Marloes", "Sjoerd", "Eline", "Ruud", "Anouk", "Koen", "Femke", "Wouter", "Lieke",
           "Thijs", "Bart", "Nathalie", "Hendrik"],
    "de": ["Jens", "Sabine", "Markus", "Claudia", "Tobias", "Stefanie", "Uwe", "Katharina", "Florian",
           "Andrea", "Reto", "Michaela", "Dominik", "Jürgen"],
    "nordic": ["Anders", "Karin", "Magnus", "Linnea", "Henrik", "Maja", "Jonas", "Ingrid", "Petter",
               "Sanna", "Mikko", "Freja"],
    "cee": ["Marek", "Katarzyna", "Piotr", "Zuzana", "Tomáš", "Magdalena", "Paweł", "Jana",
            "Krzysztof", "Lucie"],
}
LAST = {
    "en": ["Hughes", "Gallagher", "Pritchard", "Okafor", "Whitmore", "Doyle", "Hargreaves", "Singh",
           "Morrow", "Kavanagh", "Ellison", "Baxter", "Thwaite", "Rowntree", "Quinlan", "Lister"],
    "nl": ["de Vries", "Bosman", "van Leeuwen", "Kuipers", "Hoekstra", "Peeters", "Jacobs",
           "van den Berg", "Smeets", "Wouters", "Brouwer", "Claessens"],
    "de": ["Köhler", "Brandt", "Zimmermann", "Lehner", "Haas", "Vogt", "Kessler", "Baumgartner",
           "Ritter", "Gerber", "Schuster", "Lorenz"],
    "nordic": ["Lindgren", "Nyström", "Hansen", "Berglund", "Dahl", "Virtanen", "Sandberg", "Holm",
               "Eriksen", "Lund"],
    "cee": ["Mazur", "Kaczmarek", "Nowak", "Sikora", "Kubiak", "Wróbel", "Pawlak", "Michalak",
            "Król", "Bednarek"],
}
TITLES_EB = ["Finance Director", "CFO", "Managing Director", "Operations Director", "Commercial Director"]
TITLES_CH = ["Head of Plant", "Plant Manager", "Hire Desk Manager", "Depot Manager", "Fleet Manager",
             "Workshop Manager", "Health & Safety Manager", "Contracts Manager"]
TITLES_OTHER = ["IT Manager", "Procurement Lead", "Workshop Manager", "Site Manager", "Hire Desk Controller",
                "Health & Safety Manager"]
LOCAL_TITLES = {"de": {"Managing Director": "Geschäftsführer", "Head of Plant": "Leiter Maschinentechnik",
                       "Finance Director": "Kaufmännischer Leiter"},
                "nl": {"Head of Plant": "Hoofd Materieeldienst", "Managing Director": "Directeur"}}

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def iso(t: dt.datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dmy(t: dt.datetime | dt.date) -> str:
    return t.strftime("%d.%m.%Y")


def eur(x: float) -> str:
    """12500 -> '12.500,00 €'"""
    s = f"{x:,.2f}"  # 12,500.00
    s = s.replace(",", "_").replace(".", ",").replace("_", ".")
    return s + " €"


def weighted(rng: random.Random, pairs):
    r = rng.random() * sum(w for _, w in pairs)
    for v, w in pairs:
        r -= w
        if r <= 0:
            return v
    return pairs[-1][0]


def business_time(rng: random.Random, day: dt.datetime) -> dt.datetime:
    d = day.replace(hour=0, minute=0, second=0, microsecond=0)
    while d.weekday() >= 5:
        d += dt.timedelta(days=1)
    return d + dt.timedelta(hours=rng.randint(6, 16), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))


def person(rng: random.Random, lang: str, titles) -> tuple[str, str]:
    name = f"{rng.choice(FIRST[lang])} {rng.choice(LAST[lang])}"
    title = rng.choice(titles)
    if lang in LOCAL_TITLES and rng.random() < 0.4:
        title = LOCAL_TITLES[lang].get(title, title)
    return name, title


# --------------------------------------------------------------------------------------------
# Companies
# --------------------------------------------------------------------------------------------


def make_companies(rng: random.Random):
    companies = []  # dicts
    seen = set()
    per_region = {"UK & Ireland": 900, "Benelux": 620, "DACH": 760, "Nordics": 480, "CEE": 380}
    for region, n in per_region.items():
        for _ in range(n):
            country = weighted(rng, REGION_COUNTRIES[region])
            lang = LANG[country]
            for _attempt in range(50):
                stem = rng.choice(STEM_A[lang]) + rng.choice(STEM_B[lang])
                if lang == "en" and rng.random() < 0.15:
                    stem = f"{rng.choice(LAST['en'])} & {rng.choice(LAST['en'])}"
                elif lang == "nl" and rng.random() < 0.25:
                    stem = rng.choice(["Van ", "Gebr. ", "Fa. "]) + rng.choice(LAST["nl"]).split()[-1].capitalize()
                elif lang == "de" and rng.random() < 0.25:
                    stem = rng.choice(LAST["de"]) + rng.choice([" & Söhne", "", " Gruppe"])
                suffix = rng.choice(SUFFIX[country])
                name = f"{stem} {suffix}"
                if name not in seen:
                    break
            seen.add(name)
            industry = "Civil engineering"
            for key, ind in INDUSTRY_BY_SUFFIX:
                if key in suffix:
                    industry = ind
                    break
            else:
                if rng.random() < 0.25:
                    industry = rng.choice(["Utilities contractor", "Rail infrastructure", "Civil engineering",
                                           "Groundworks"])
            employees = int(min(4800, max(12, rng.lognormvariate(math.log(140), 0.9))))
            created = START - dt.timedelta(days=rng.randint(0, 900)) + dt.timedelta(days=rng.randint(0, 1050))
            created = min(created, AS_OF - dt.timedelta(days=3))
            companies.append({
                "name": name, "industry": industry if rng.random() > 0.05 else "",
                "employees": employees if rng.random() > 0.06 else "",
                "country": country, "city": rng.choice(CITIES[country]), "region": region,
                "created": business_time(rng, created), "lang": lang,
                "fleet": max(8, int(employees * rng.uniform(0.25, 0.9))),
            })
    return companies


# --------------------------------------------------------------------------------------------
# Notes
# --------------------------------------------------------------------------------------------

STATUS_QUO = ["a spreadsheet the depot managers update on Fridays",
              "whiteboard in the yard office plus a WhatsApp group",
              "Tracwell boxes on the big machines, nothing on small plant",
              "Haulsight on the vans only", "three different OEM portals, nobody logs in",
              "nothing at all apart from the yard walk", "an old in-house Access database"]
SOURCES = ["the plant show stand", "referral from an existing customer", "website demo request",
           "LinkedIn post about theft", "SDR call block", "webinar on off-hire"]
MACHINES = ["8t excavator", "3t mini digger", "twin-drum roller", "6t dumper", "telehandler",
            "hydraulic breaker", "lighting tower", "20kVA generator", "scissor lift", "plate compactor"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def note_entries(rng, deal, ctx):
    """Return a list of (datetime, text) note entries for one deal."""
    c1, t1 = ctx["champion"]
    c2, t2 = ctx["other"]
    eb, tEB = ctx["eb"]
    city = ctx["city"]
    np_, nt = ctx["powered"], ctx["tags"]
    reached = deal["reached"]  # index of furthest open stage reached (0..4), 5 if won
    t0, t_end = deal["created"], deal["last_time"]
    span = max(1.0, (t_end - t0).total_seconds() / 86400)

    def at(frac):
        return t0 + dt.timedelta(days=span * min(0.98, max(0.0, frac)))

    entries = []
    existing = deal["type"] == "existingbusiness"
    depots = f"{ctx['depots']} depot" + ("s" if ctx["depots"] != 1 else "")
    if existing:
        entries.append((at(0.0), rng.choice([
            f"QBR with {c1} ({t1}): they want tags on the small plant at the {city} depot too.",
            f"Renewal prep: usage review with {c1} – {rng.randint(55, 98)}% of gateways reporting, hire desk "
            f"uses the off-hire alerts daily.",
            f"{c1} ({t1}) asked for a quote to add the new {city} depot.",
        ])))
    else:  # first contact
        interest = rng.choice(["off-hire lag", "theft of small plant", "service planning",
                               "paper pre-start checks", "cross-hire costs"])
        entries.append((at(0.0), rng.choice([
            f"Intro call with {c1} ({t1}). {np_} powered machines, approx {nt} attachments/small plant over "
            f"{depots}. Tracking today: {rng.choice(STATUS_QUO)}.",
            f"{c1} ({t1}) came via {rng.choice(SOURCES)}. Main interest: {interest}.",
            f"SDR call, {c1} picked up on site. {np_} machines, says \"we lose track of the attachments every "
            f"winter\". Walk agreed.",
        ])))
    if reached >= 1 and not existing:
        entries.append((at(0.2), rng.choice([
            f"Site walk at {city} depot with {c1} and {c2} ({t2}). Counted {rng.randint(6, 30)} breakers on the "
            f"rack with no labels; {c2} couldn't say where the rest are.",
            f"Walked the yard. Roller with a handwritten service sticker, last service \"about 600 hours ago\". "
            f"Workshop plans services off a wall chart.",
            f"Hire desk ({c2}) says off-hires come in by phone and take {rng.randint(3, 9)} days to collect on "
            f"average; disputes on ~{rng.randint(4, 12)}% of invoices.",
            f"Pain: lost a {rng.choice(MACHINES)} from a site near {city} in {rng.choice(MONTHS)}, insurer paid "
            f"minus €{rng.randint(2, 15)}k excess. {c1} wants tags on all attachments.",
        ])))
    if reached >= 2 and not existing:
        entries.append((at(0.4), rng.choice([
            f"Pilot kicked off: {min(25, max(5, np_ // 4))} gateways + {rng.randint(10, 40)} tags, installed by "
            f"partner over two evenings. Success criteria: off-hire within 24h; service list from engine hours; "
            f"find 5 lost items.",
            f"Pilot week 2: found {rng.randint(2, 6)} machines idle on a finished site – {c1} forwarded the "
            f"screenshot to the MD.",
            f"Pilot review with {c1}: {rng.choice(['2', '3'])} of 3 criteria met. Engine-hour data won the "
            f"workshop over.",
            f"Pilot extended two weeks, {c1} on holiday. New review date agreed.",
        ])))
    if reached >= 3:
        entries.append((at(0.6), rng.choice([
            f"Built the business case with {c1} in the Unbilled Hire Calculator: ~€{rng.randint(40, 260)}k/yr "
            f"recovered hire.",
            f"Met {eb} ({tEB}). Good questions about term length and who owns the data.",
            f"{tEB} ({eb}) wants to compare against Stackyard Fleet before deciding.",
        ])))
    if reached >= 4:
        entries.append((at(0.75), rng.choice([
            f"Order Form + DPA sent. Legal review ~2 weeks according to {c2}.",
            f"Procurement asked for 25% off \"as standard\". Offered 8% for annual upfront; they're thinking.",
            f"DPA came back with two comments, both on the sub-processor notice period.",
        ])))

    # objections, competitor mentions, signals
    objections = [
        f"{c1} ({t1}): \"we already get the location from the manufacturer portals, why pay twice?\"",
        "Pushback on tag price – \"€3.50 a month on a wacker plate is daft\". Suggested starting with the top "
        "50 items only.",
        f"{tEB} said \"no budget\" until Q{rng.randint(1, 4)}; revisit after the half-year numbers.",
        "They want 12 months max; got burned by a five-year telematics lease before.",
        {"de": "Betriebsrat needs to sign off – worried we are tracking the drivers. Sent the Works Council Pack.",
         "nl": "OR (works council) wants to see what we record about operators before anything is installed."
         }.get(ctx["lang"], "Union rep on site asked whether the boxes record where the drivers go after work."),
        f"{c2} ({t2}) worried the operators will see it as spying. Explained machines not people, privacy windows.",
        "Workshop manager: can't take machines off hire for installs in peak season.",
        f"{tEB}: \"we had trackers in 2019 and nobody ever looked at them\".",
        f"Too busy until the autumn; nobody will look at this before {rng.choice(['September', 'October'])}.",
        f"IT ({c2}) asked where the data is hosted – EU only, wants the pen test summary.",
        "Worried about signal in the tunnel sections of the bypass job.",
        "FD prefers one system – they invoice in Stackyard and Stackyard is promising fleet tracking in the "
        "next release.",
        f"Haulsight quoted €1.90 per unit. {c1} asked why we are \"five times the price\".",
        f"Tied into Tracwell until {rng.choice(MONTHS)} {rng.randint(2025, 2027)}; exit fee ~€{rng.randint(8, 60)}k. "
        f"Agreed to start with tags on small plant.",
        "Think they can stick Haulsight trackers on everything themselves in an afternoon.",
        "Customer says half the machines will be sold next year anyway; why fit gateways now?",
    ]
    renewal_objections = [
        "Renewal: only ~half the tags are in use, they want to cut the count.",
        "Unhappy about the 6% index increase – \"nobody told us\".",
        f"New ops director ({eb}) wants to review all suppliers; old champion has left.",
        "Stackyard offered their fleet module free for a year if they upgrade.",
    ]
    positives = [
        f"Budget for next year is approved – €{rng.randint(30, 250)}k set aside for tracking in the capex plan.",
        f"{tEB} asked for the Order Form to be sent to them directly.",
        f"Insurer confirmed a {rng.randint(5, 15)}% premium reduction if tracking is live before the renewal.",
        f"{c1} introduced us to the FD without being asked. Strong champion.",
        "Board approved the project at the monthly board meeting.",
        "They want to roll out to all depots, not just the pilot depot.",
        f"{c1}: \"if the pilot shows what you showed us, this is a no-brainer\".",
    ]
    comp_mentions = [
        "Tracwell came in last week with a demo of their new app.",
        "Also looking at Haulsight, mainly for the vans.",
        "Stackyard account manager visited; pitched the fleet module as \"included\".",
        "Dealer is pushing the OEM portal hard, they have two brands on it already.",
    ]
    lost = deal["stage"] == LOST
    won = deal["stage"] == WON
    if deal["type"] == "existingbusiness":
        pool = renewal_objections
    else:
        pool = objections
    n_obj = 2 if lost and rng.random() < 0.5 else (1 if rng.random() < 0.7 else 0)
    for i in range(n_obj):
        entries.append((at(rng.uniform(0.15, 0.85)), rng.choice(pool)))
    if rng.random() < 0.3:
        entries.append((at(rng.uniform(0.1, 0.7)), rng.choice(comp_mentions)))
    if (won or (not lost and reached >= 2)) and rng.random() < 0.65:
        entries.append((at(rng.uniform(0.5, 0.95)), rng.choice(positives)))
    if ctx["lang"] == "de" and rng.random() < 0.15:
        entries.append((at(0.3), f"Termin mit {eb} ({tEB}) – Budget ist da, will aber erst den Betriebsrat "
                                  f"abwarten."))
    if ctx["lang"] == "nl" and rng.random() < 0.15:
        entries.append((at(0.3), f"Gesprek met {c1}: ze willen eerst een pilot op 10 machines, daarna pas "
                                  f"een offerte."))
    if lost:
        entries.append((at(1.0), {
            "price": "Lost on price – they mainly wanted the vans tracked; went with Haulsight.",
            "competitor": rng.choice([
                "Went with the Stackyard bundle. FD ran the evaluation; plant manager not consulted.",
                "Stayed with Tracwell – contract auto-renewed before we got to the MD.",
                "Lost to Haulsight on price per unit."]),
            "no decision": rng.choice([
                "No decision – company being acquired, all projects frozen.",
                "Went dark after the pilot. Five calls, three emails, nothing since."]),
            "timing": "Pushed to next year; closing this one and will reopen as a new deal.",
            "champion left": f"Champion ({c1}) left the business; new ops director not interested.",
            "no fit": "Mostly vans and cars, not a fit. Referred them on.",
            "cleanup": "Closed in pipeline cleanup – no activity for months.",
        }.get(deal["lost_reason_key"], "Lost.")))
    if won and existing:
        entries.append((at(1.0), rng.choice([
            "New Order Form signed for another 36 months, index increase accepted.",
            f"Expansion signed: {rng.randint(20, 300)} more tags. CS informed.",
        ])))
    elif won:
        entries.append((at(1.0), rng.choice([
            f"Signed 36-month term: {np_} gateways, {nt} tags, Yard {rng.choice(['Core', 'Plus'])}. Kickoff with "
            f"CS booked.",
            f"Order Form signed by {eb} ({tEB}). PO received; handover note done.",
        ])))
    entries.sort(key=lambda e: e[0])
    return entries


def render_note(rng, entries):
    style = rng.random()
    lines = []
    for t, text in entries:
        if style < 0.55:
            lines.append(f"{dmy(t)}: {text}")
        elif style < 0.8:
            lines.append(f"{t.strftime('%Y-%m-%d')} – {text}")
        else:
            lines.append(f"{t.day} {MONTHS[t.month - 1][:3]}: {text}")
    sep = "\n\n" if rng.random() < 0.3 else "\n"
    if rng.random() < 0.12:  # one run-on paragraph, as some reps write
        return " ".join(text for _, text in entries)
    return sep.join(lines)


# --------------------------------------------------------------------------------------------
# Deals
# --------------------------------------------------------------------------------------------


def simulate(rng, created, existing):
    """Walk a deal through the stages. Returns (stage, entered, outcome_time, reached, stalled)."""
    loss = LOSS_EXISTING if existing else LOSS_NEW
    t = created
    stalled_at = rng.randrange(5) if rng.random() < 0.10 else -1
    for i, med in enumerate(STAGE_MEDIAN_DAYS):
        if existing and i == 2 and rng.random() < 0.7:
            continue  # renewals and expansions rarely pilot
        dur = rng.lognormvariate(math.log(med * (0.6 if existing else 1.0)), 0.5)
        if i == stalled_at:
            dur *= rng.uniform(3, 7)
        if rng.random() < loss[i]:
            t_lost = t + dt.timedelta(days=dur * rng.uniform(0.3, 1.2))
            if t_lost <= AS_OF:
                return LOST, t_lost, t_lost, i, i == stalled_at
            return OPEN_STAGES[i], t, None, i, i == stalled_at
        t_next = t + dt.timedelta(days=dur)
        if t_next > AS_OF:
            return OPEN_STAGES[i], t, None, i, i == stalled_at
        t = t_next
    return WON, t, t, 5, False


def make_deals(rng, companies):
    by_region = {}
    for c in companies:
        by_region.setdefault(c["region"], []).append(c)
    owners = [(name, region, dt.datetime.fromisoformat(start).replace(tzinfo=UTC), None)
              for name, _m, region, start, _q in REPS]
    owners += [(name, region, dt.datetime.fromisoformat(s).replace(tzinfo=UTC),
                dt.datetime.fromisoformat(e).replace(tzinfo=UTC)) for name, region, s, e in DEPARTED]
    # creation events: a Poisson process per owner, growing slowly over time
    events = []
    for name, region, start, end in owners:
        t = max(START, start + dt.timedelta(days=21))
        stop = end or AS_OF
        while True:
            months_in = (t - START).days / 30.4
            rate = 0.37 * (1 + 0.012 * months_in)  # deals per day
            t += dt.timedelta(days=rng.expovariate(rate))
            if t >= stop:
                break
            events.append((business_time(rng, t), name, region, end))
    events.sort(key=lambda e: (e[0], e[1]))

    won_by_company = {}  # company name -> last won (time, amount)
    deals = []
    for created, owner, region, owner_end in events:
        pool = by_region[region if region in by_region else "UK & Ireland"]
        existing = False
        company = None
        if rng.random() < 0.14:
            eligible = [c for c in pool if c["name"] in won_by_company and won_by_company[c["name"]][0] < created]
            if eligible:
                company = rng.choice(eligible)
                existing = True
        if company is None:
            company = rng.choice(pool)
        stage, entered, outcome, reached, stalled = simulate(rng, created, existing)

        # owners who left: their open deals were reassigned, so they only own closed deals
        if owner_end and stage not in (WON, LOST):
            stage, entered, outcome = LOST, owner_end, owner_end
        lost_key = ""
        if stage == LOST:
            lost_key = weighted(rng, [("price", 18), ("competitor", 22), ("no decision", 28), ("timing", 14),
                                      ("champion left", 6), ("no fit", 12)])
        # pipeline cleanups on the last working day of Jan and Jul: zombies get closed
        if stage not in (WON, LOST) and (AS_OF - entered).days > 240 and rng.random() < 0.65:
            for cleanup in (dt.datetime(2023, 1, 31, 17, tzinfo=UTC), dt.datetime(2023, 7, 31, 17, tzinfo=UTC),
                            dt.datetime(2024, 1, 31, 17, tzinfo=UTC), dt.datetime(2024, 7, 31, 17, tzinfo=UTC),
                            dt.datetime(2025, 1, 31, 17, tzinfo=UTC)):
                if (cleanup - entered).days > 200:
                    stage, entered, outcome, lost_key = LOST, cleanup, cleanup, "cleanup"
                    break

        # amount (first-year subscription value)
        powered = max(5, int(company["fleet"] * rng.uniform(0.4, 1.0)))
        tags = int(powered * rng.uniform(0.5, 3.0))
        per = rng.choice([9.0, 9.0, 14.0])
        acv = powered * per * 12 + tags * 3.5 * 12
        if existing:
            if rng.random() < 0.5 and company["name"] in won_by_company:
                acv = won_by_company[company["name"]][1] * 1.06  # renewal with index increase
            else:
                acv *= rng.uniform(0.1, 0.35)  # expansion
        discount = rng.choice([0, 0, 0, 5, 8, 10, 12.5, 15, 20]) if stage == WON else 0
        acv = round(acv * (1 - discount / 100), 2)
        if acv > 40000:
            acv = round(acv, -1) if rng.random() < 0.5 else acv

        is_open = stage not in (WON, LOST)
        amount = acv
        if is_open:
            if reached == 0 or (reached == 1 and rng.random() < 0.5):
                amount = None
            elif rng.random() < 0.03:
                amount = None
        elif stage == LOST:
            if reached == 0 and rng.random() < 0.8:
                amount = None
            elif rng.random() < 0.15:
                amount = None
            elif rng.random() < 0.02:
                amount = 0.0

        # close date
        if not is_open:
            close = outcome
        elif reached == 0 or (reached == 1 and amount is None):
            close = None
        else:
            expected = created + dt.timedelta(days=sum(STAGE_MEDIAN_DAYS) * rng.uniform(0.8, 1.4))
            if stalled or rng.random() < 0.18:
                close = expected  # not updated; often already in the past
            elif reached >= 2 and rng.random() < 0.22:
                # the rep set a date that has since passed and never moved it
                lo = entered + dt.timedelta(days=7)
                close = lo + dt.timedelta(days=rng.uniform(0, max(1.0, (AS_OF - lo).days - 1)))
            else:
                close = max(expected, AS_OF + dt.timedelta(days=rng.randint(5, 120)))
            if rng.random() < 0.03:
                close = None

        # last activity
        if is_open:
            if stalled or (AS_OF - entered).days > 120:
                last = AS_OF - dt.timedelta(days=rng.randint(45, 200))
            else:
                last = AS_OF - dt.timedelta(days=rng.expovariate(1 / 6))
            last = max(last, created)
        else:
            last = outcome - dt.timedelta(days=rng.uniform(0, 4))
            last = max(last, created)
        last = last.replace(microsecond=0)
        if rng.random() < 0.03:
            last_s = ""
        else:
            last_s = iso(last)

        if stage == WON:
            won_by_company[company["name"]] = (outcome, acv)

        deals.append({
            "created": created, "owner": owner, "company": company, "stage": stage, "entered": entered,
            "close": close, "amount": amount, "reached": reached, "stalled": stalled, "type":
                "existingbusiness" if existing else "newbusiness", "last": last_s, "last_time": last,
            "lost_reason_key": lost_key, "powered": powered, "tags": tags,
        })
    return deals


def deal_name(rng, d, show_company):
    c = d["company"]["name"]
    if d["type"] == "existingbusiness":
        what = rng.choice([f"Renewal {d['created'].year + (1 if d['created'].month > 9 else 0)}",
                           "Expansion – tags small plant", "Expansion – new depot", "Upgrade Core to Plus",
                           "Mixed Fleet Connector add-on"])
    else:
        what = rng.choice([f"Yard {d['powered']} machines", f"{d['powered']} gateways + tags", "Depot rollout",
                           "Proof on Site", f"{d['company']['city']} depot", "New business", "Tags + Yard Core"])
    if show_company:
        return f"{c} – {what}" if rng.random() < 0.85 else f"{c} - {what}"
    return rng.choice([f"Inbound – website demo request ({d['company']['country']})", "Plant show lead",
                       f"Referral – {d['powered']} machines", "SDR booked walk", "New deal", f"Webinar lead – {what}"])


NEXT_STEPS = [
    "Site walk {city} depot {d}", "Send Pilot Success Plan to {c}", "Pilot review {d} with {c} + FD",
    "Chase DPA redlines with their legal", "Call {c} re budget meeting {d}", "Book install partner for pilot",
    "Intro to FD via {c}", "Send Works Council Pack", "Procurement questionnaire due {d}",
    "Board meeting {d} – {c} presenting", "Follow up on Order Form", "Send revised quote (tags only)",
]
LOST_REASON_LABEL = {"price": "Price", "competitor": "Lost to competitor", "no decision": "No decision",
                     "timing": "Timing", "champion left": "Champion left", "no fit": "No fit",
                     "cleanup": "No response"}


def build_rows(rng, deals):
    rows = []
    record_id = 9_180_000_000
    notes_target = 380
    # choose which deals carry notes: weight towards deals that got somewhere, and recent ones
    weights = []
    for d in deals:
        w = 1.0 + d["reached"] * 0.8 + (1.5 if d["created"].year >= 2024 else 0)
        weights.append(w)
    chosen = set()
    idx = list(range(len(deals)))
    while len(chosen) < notes_target:
        chosen.add(rng.choices(idx, weights=weights)[0])
    for i, d in enumerate(deals):
        record_id += rng.randint(40_000, 2_400_000)
        is_open = d["stage"] not in (WON, LOST)
        company = d["company"]
        show_company = not (rng.random() < (0.2 if is_open else 0.03))
        lang = company["lang"]
        ctx = {"champion": person(rng, lang, TITLES_CH), "other": person(rng, lang, TITLES_OTHER),
               "eb": person(rng, lang, TITLES_EB), "city": company["city"], "powered": d["powered"],
               "tags": d["tags"], "depots": max(1, d["powered"] // rng.randint(40, 90)), "lang": lang}
        next_step = ""
        if is_open and rng.random() < 0.8:
            when = (d["last_time"] + dt.timedelta(days=rng.randint(2, 21)))
            next_step = rng.choice(NEXT_STEPS).format(city=company["city"], d=when.strftime("%d.%m."),
                                                      c=ctx["champion"][0].split()[0])
        elif not is_open and rng.random() < 0.05:
            next_step = "Follow up"
        note = render_note(rng, note_entries(rng, d, ctx)) if i in chosen else ""
        rows.append([
            str(record_id),
            deal_name(rng, d, show_company),
            "Sales Pipeline",
            d["stage"],
            d["type"],
            "" if d["amount"] is None else eur(d["amount"]),
            iso(d["created"]),
            "" if d["close"] is None else dmy(d["close"]),
            iso(d["entered"].replace(microsecond=0)),
            d["owner"],
            company["name"] if show_company else "",
            d["last"],
            next_step,
            LOST_REASON_LABEL.get(d["lost_reason_key"], "") if d["stage"] == LOST and rng.random() < 0.85 else "",
            note,
        ])
    return rows


def unusable_rows(rng, rows):
    """About twenty rows a loader should reject or flag."""
    bad = []
    for k in range(20):
        base = list(rng.choice(rows))
        if k < 8:
            base[0] = ""  # no Record ID
        elif k < 14:
            base[3] = "zzz-archived"
        elif k < 17:
            base[3] = "Stage 0 - Legacy import"
        else:
            base[0] = str(8_800_000_000 + rng.randint(0, 99_999))
            base[1] = "test deal please ignore"
            base[3] = ""
            base[5] = ""
            base[9] = ""
            base[14] = ""
        bad.append(base)
    return bad


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, **DIALECT)
        w.writerow(header)
        w.writerows(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir", nargs="?", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args(argv)
    os.makedirs(args.outdir, exist_ok=True)
    rng = random.Random(SEED)

    companies = make_companies(rng)
    deals = make_deals(rng, companies)
    rows = build_rows(rng, deals)
    bad = unusable_rows(rng, rows)
    for b in bad:  # scatter them through the file
        rows.insert(rng.randrange(len(rows) + 1), b)
    write_csv(os.path.join(args.outdir, "opportunities.csv"), OPP_HEADER, rows)

    owners = []
    for name, m, region, start, quota in REPS:
        manager, team, _ = MANAGERS[m]
        owners.append([name, name.lower().replace(" ", ".").replace("ř", "r").replace("ø", "o") + "@quarrymark.example",
                       "Account Executive", team, manager, region, dmy(dt.date.fromisoformat(start)), eur(quota)])
    for manager, team, region in MANAGERS:
        owners.append([manager, manager.lower().replace(" ", ".") + "@quarrymark.example", "Sales Manager", team,
                       "Maren Oduya", region, "", ""])
    write_csv(os.path.join(args.outdir, "owners.csv"),
              ["Owner name", "Email", "Role", "Team", "Manager", "Region", "Start date", "Annual quota"], owners)

    write_csv(os.path.join(args.outdir, "companies.csv"),
              ["Company name", "Industry", "Number of Employees", "Country/Region", "City", "Create Date"],
              [[c["name"], c["industry"], c["employees"], c["country"], c["city"], iso(c["created"])]
               for c in companies])
    print(f"wrote {len(rows)} deals ({len(bad)} unusable), {len(owners)} owners, {len(companies)} companies "
          f"to {args.outdir}")


if __name__ == "__main__":
    main()
