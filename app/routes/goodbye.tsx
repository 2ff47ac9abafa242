import { useTranslation } from "react-i18next";
import { ButtonLink, Container } from "../components/ui";

export default function Goodbye() {
  const { t } = useTranslation();
  return (
    <Container size="sm" className="py-20 text-center">
      <title>{t("goodbye.title") + " · " + t("app.name")}</title>
      <h1 className="text-3xl font-bold tracking-tight text-slate-900">{t("goodbye.title")}</h1>
      <p className="mt-3 text-base text-slate-600">{t("goodbye.body")}</p>
      <div className="mt-8 flex justify-center">
        <ButtonLink to="/">{t("errorPage.home")}</ButtonLink>
      </div>
    </Container>
  );
}
