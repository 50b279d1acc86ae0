# Multi-stage build: the SDK image builds, the small ASP.NET runtime image runs as a non-root user.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /source
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/BindingServer/BindingServer.csproj src/BindingServer/
RUN dotnet restore src/BindingServer/BindingServer.csproj
COPY src/ src/
RUN dotnet publish src/BindingServer/BindingServer.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /data && chown app:app /data
USER app
ENV Server__Address=0.0.0.0 \
    Server__Port=8080 \
    Store__DataPath=/data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD ["dotnet", "BindingServer.dll", "--healthcheck"]
ENTRYPOINT ["dotnet", "BindingServer.dll"]
