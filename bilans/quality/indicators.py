"""The 32 indicators of the Référentiel national qualité (RNQ) as data, with their
applicability to bilans de compétences (Q-04: 3, 7, 8, 13, 14, 15, 16, 20, 28 and 29 do not
apply, 22 indicators are audited) and the evidence each expects."""
from __future__ import annotations

from dataclasses import dataclass

NOT_APPLICABLE_TO_BC = frozenset({3, 7, 8, 13, 14, 15, 16, 20, 28, 29})
# a non-conformity on these indicators can only be major.
MAJOR_ONLY = frozenset({4, 5, 6, 7, 10, 11, 14, 15, 16, 20, 21, 22, 26, 27, 29, 31, 32})


@dataclass(frozen=True)
class Indicator:
    number: int
    criterion: int
    title: str
    expected: str

    @property
    def applies_to_bc(self) -> bool:
        return self.number not in NOT_APPLICABLE_TO_BC

    @property
    def major_only(self) -> bool:
        return self.number in MAJOR_ONLY


INDICATORS: tuple[Indicator, ...] = (
    Indicator(1, 1, "Information du public sur les prestations, délais d'accès et résultats",
              "Page d'offre datée : prérequis, objectifs, durée, modalités et délais d'accès, tarifs, contacts, méthodes, accessibilité."),
    Indicator(2, 1, "Indicateurs de résultats", "Taux de satisfaction, d'achèvement et d'abandon, nombre de bilans, publiés et datés."),
    Indicator(3, 1, "Taux d'obtention des certifications", "Sans objet pour les bilans de compétences."),
    Indicator(4, 2, "Analyse du besoin du bénéficiaire", "Compte rendu de la phase préliminaire, besoin analysé avec la personne (et le financeur)."),
    Indicator(5, 2, "Objectifs opérationnels et évaluables", "Objectifs co-définis pendant la phase préliminaire."),
    Indicator(6, 2, "Contenus et modalités adaptés", "Programme personnalisé par phase, séances planifiées."),
    Indicator(7, 2, "Adéquation à la certification visée", "Sans objet pour les bilans de compétences."),
    Indicator(8, 2, "Positionnement à l'entrée", "Sans objet pour les bilans de compétences."),
    Indicator(9, 3, "Information sur les conditions de déroulement", "Document d'information remis : 3 phases, confidentialité, calendrier, contacts."),
    Indicator(10, 3, "Adaptation et suivi de la prestation", "Journal des séances, ajustements et aménagements."),
    Indicator(11, 3, "Évaluation de l'atteinte des objectifs", "Bilan de fin de parcours au regard des objectifs, synthèse remise."),
    Indicator(12, 3, "Engagement des bénéficiaires et prévention des abandons", "Suivi des absences, relances, motifs d'abandon."),
    Indicator(13, 3, "Alternance : coordination avec l'entreprise", "Sans objet pour les bilans de compétences."),
    Indicator(14, 3, "Accompagnement socio-professionnel (CFA)", "Sans objet pour les bilans de compétences."),
    Indicator(15, 3, "Droits et devoirs de l'apprenti", "Sans objet pour les bilans de compétences."),
    Indicator(16, 3, "Conditions de présentation à la certification", "Sans objet pour les bilans de compétences."),
    Indicator(17, 4, "Moyens humains et techniques, environnement adapté", "Salles, outils de visioconférence, licences de tests."),
    Indicator(18, 4, "Coordination des intervenants", "Rôles et affectations des consultants."),
    Indicator(19, 4, "Ressources pédagogiques mises à disposition", "Bibliothèque de ressources et accès des bénéficiaires."),
    Indicator(20, 4, "Référent handicap, mobilité, conseil de perfectionnement (CFA)", "Sans objet pour les bilans de compétences."),
    Indicator(21, 5, "Compétences des intervenants", "CV, diplômes, certifications et habilitations aux tests des consultants."),
    Indicator(22, 5, "Développement des compétences des salariés", "Formations, supervisions et analyses de pratiques suivies."),
    Indicator(23, 6, "Veille légale et réglementaire", "Entrées de veille datées et actions qui en découlent."),
    Indicator(24, 6, "Veille emplois, métiers et compétences", "Entrées de veille datées et exploitation."),
    Indicator(25, 6, "Veille innovations pédagogiques et technologiques", "Entrées de veille datées et exploitation."),
    Indicator(26, 6, "Expertise et réseau handicap", "Liste des partenaires (Agefiph, Cap emploi, MDPH), procédure d'aménagement."),
    Indicator(27, 6, "Sous-traitance et portage salarial", "Registre des sous-traitants et contrôles de conformité."),
    Indicator(28, 6, "Formation en situation de travail", "Sans objet pour les bilans de compétences."),
    Indicator(29, 6, "Insertion professionnelle (CFA)", "Sans objet pour les bilans de compétences."),
    Indicator(30, 7, "Recueil des appréciations des parties prenantes", "Questionnaires de satisfaction des bénéficiaires et des financeurs."),
    Indicator(31, 7, "Traitement des difficultés, réclamations et aléas", "Registre des réclamations, délais de réponse, clôture."),
    Indicator(32, 7, "Mesures d'amélioration continue", "Plan d'actions relié aux appréciations et réclamations."),
)
BY_NUMBER = {indicator.number: indicator for indicator in INDICATORS}
assert len(INDICATORS) == 32 and sorted(BY_NUMBER) == list(range(1, 33))
